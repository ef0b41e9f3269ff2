"""The programs the demos start as real, separate processes, one module per job.

A demo starts one by passing the function itself (``program(echo.server, "tcp",
"0")`` in :mod:`iochannels.demos.processes`); the child runs it as ``python -m
iochannels.demos.children echo.server tcp 0``, which is also what ``ps -f`` shows,
and names itself with prctl(2) (``server``, ``writer``...), which is what ``ps``,
``/proc/PID/comm`` and the demos' pictures show. Every program takes its arguments
as strings, as a command line gives them.

- :mod:`.echo`: a server and a client for each channel kind, one message and its echo
- :mod:`.chat_standin`: a program holding what a chat client holds (the pitch)
- :mod:`.python_popen`: a Python program that runs ``grep`` with ``subprocess.Popen``
- :mod:`.throughput`: the buffer-size demo's plot
- :mod:`.many_clients`: an iterative server and a worker of N clients
- :mod:`.shell`: what a shell does for ``>`` and ``|``, stopping at each moment
- :mod:`.pipe_ends`: a writer that fills a pipe, a reader that drains one

These modules use the standard library only (and matplotlib for the plot), so that
a child starts in a few milliseconds.
"""
