"""The fidelity harness: the same system-call scripts on the simulator and on Linux.

A :class:`~iochannels.fidelity.script.Script` names calls across several
processes (pipes, socketpairs, dup/dup2, close, O_NONBLOCK, reads and writes
of many sizes, shutdown, fork; TCP and UDP sockets on 127.0.0.1, their ports
by name). :func:`check` runs random scripts on both
kernels and compares return values, errno names, the bytes read, which fds
exist with which access and flags, and which calls block and when they finish.
"""

from iochannels.fidelity.check import Difference, Report, check, compare
from iochannels.fidelity.exclusions import DIVERGENCES, EXCLUSIONS, SIMPLIFICATIONS, Simplification
from iochannels.fidelity.script import Op, Script

__all__ = ["DIVERGENCES", "EXCLUSIONS", "SIMPLIFICATIONS", "Difference", "Op", "Report",
           "Script", "Simplification", "check", "compare"]
