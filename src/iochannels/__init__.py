"""iochannels: see the I/O channels of Linux processes.

File descriptors and their tables, pipes, FIFOs, UNIX and network sockets,
redirection and blocking, on real processes (``iochannels.live``) and in a
simulated kernel (``iochannels.sim``), drawn by ``iochannels.render``.
"""

__version__ = "0.1.0"
