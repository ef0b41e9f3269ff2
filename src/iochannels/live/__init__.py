"""Real processes -> :class:`~iochannels.model.Snapshot`, read from ``/proc``.

``snapshot(pids)`` takes a picture of some processes (``None``: all of them);
``pids_by_name(name)`` finds processes by command name; ``exists(pid)`` says
whether a process is there. Modules: ``procfs`` (reading /proc, the one place
OS errors are translated), ``classify`` (fd link -> kind), ``netfiles``
(/proc/net parsers), ``sockdiag`` (the netlink sock_diag reader), ``pipes``
(pipe buffers), ``sockets`` and ``channels`` (building channels), ``holders``
(the other ends in other processes), ``states`` (what a process waits in),
``snapshot`` (assembly).
"""

from __future__ import annotations

import os

from iochannels.live.procfs import (
    Denied,
    Gone,
    all_pids,
    read_comm,
    read_procinfo,
    root,
    thread_group,
)
from iochannels.live.snapshot import only_kinds, snapshot

__all__ = ["exists", "only_kinds", "pids_by_name", "snapshot", "thread_group"]


def pids_by_name(name: str) -> list[int]:
    """Processes whose command name (comm) or program basename is ``name``, as ``pgrep -x``.

    comm is cut to 15 BYTES by the kernel (proc(5): TASK_COMM_LEN is 16 with the NUL), so
    a longer name also matches on its first 15 bytes, or on argv[0]'s basename. Names are
    compared as the bytes the kernel holds (``os.fsencode``: a name that is not UTF-8
    arrives as PEP 383 surrogates): a cut may fall inside a multibyte character, where
    ``café…`` cut at 15 characters would never equal the comm.
    """
    found: list[int] = []
    if not name:  # "" would match every kernel thread: they have no argv[0]
        return found
    wanted = os.fsencode(name)
    for pid in all_pids():
        comm = os.fsencode(read_comm(pid))
        if comm == wanted or (len(wanted) > 15 and comm == wanted[:15]) \
                or os.fsencode(_argv0(pid)) == wanted:
            found.append(pid)
    return found


def _argv0(pid: int) -> str:
    try:
        argv = read_procinfo(pid).argv
    except (Gone, Denied):
        return ""
    return argv[0].rsplit("/", 1)[-1] if argv else ""


def exists(pid: int) -> bool:
    """Whether ``pid`` is a process now (zombies included)."""
    return os.path.isdir(f"{root()}/{pid}")
