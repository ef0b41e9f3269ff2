"""A real program under strace(1) -> a :class:`~iochannels.model.Walkthrough`.

``trace(command, first_table=...)`` runs the command under ``strace -f -yy -ttt`` and
rebuilds, after every fd-related call, the processes, their fd tables, the open file
descriptions they share and the channels; ``rebuild_lines(lines)`` does the same for a
trace recorded earlier. Modules, in the direction they import: ``args`` (strace's
argument texts), ``lines`` (one line -> a call, a signal, an exit), ``channels`` (what a
``-yy`` decoration names), ``state`` (the rebuilt tables), ``calls`` (the call table:
what each call does to them), ``edges`` (the notes on sharp edges), ``rebuild`` (records
-> steps), ``run`` (strace started, read, stopped).

``trace`` is a source beside ``live`` and ``sim`` and imports neither: the table the
program starts with is read from ``/proc`` by whoever calls it (``first_table``, e.g.
``lambda pid: live.snapshot([pid], others=False)``).
"""

from iochannels.trace.rebuild import Rebuild, rebuild_lines
from iochannels.trace.run import StraceMissing, Traced, trace

__all__ = ["Rebuild", "StraceMissing", "Traced", "rebuild_lines", "trace"]
