"""Who else holds a channel: the other end of a pipe, FIFO or socket in other processes.

When only some processes are inspected, the other end of their pipes and
sockets is often in a process that was not asked for (``sleep 100 | cat``
inspected from ``cat`` alone). Like ``lsof +E``, we then read the fd links of
the other processes (links only: one readlink per fd) and keep those that point
to a wanted channel; only those few get their fdinfo read, for the access mode.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from iochannels.live import procfs
from iochannels.live.classify import access_of

__all__ = ["find_holders"]


def find_holders(
    wanted: Mapping[str, tuple[str, str | None]],
    seen: Collection[tuple[int, int]],
    asked: Collection[int] = (),
    skip_asked: bool = False,
) -> tuple[dict[str, list[str]], list[int]]:
    """Channel id -> ["PID COMM fdN ACCESS", ...] for fds not in ``seen``; pids denied.

    ``wanted`` maps an fd link text ("pipe:[12]", "socket:[34]", a FIFO's path)
    to (the channel id it stands for, the access the other end needs: "r" for
    the reader of a pipe whose writers we hold, "" for any, None when an other end
    is in view already and only more holders are looked for). The processes
    nearest to ``asked`` are read first (parents, children, siblings: where
    pipes usually lead). The search reads every process: a UNIX socket shared by
    eight forked workers has eight holders, and stopping at the first would show
    one as if it were all ("+N" would lie).
    """
    found: dict[str, list[str]] = {}
    missing = {cid: need for cid, need in wanted.values() if need is not None}
    hits, denied = procfs.fds_linking(_nearest_first(asked, skip_asked), wanted)
    comms: dict[int, str] = {}
    for pid, fd, link in hits:
        if (pid, fd) in seen:
            continue
        if pid not in comms:
            comms[pid] = procfs.read_comm(pid).replace(",", "\\x2c")  # ", " joins holders
        cid = wanted[link][0]
        access = _access(pid, fd)
        found.setdefault(cid, []).append(f"{pid} {comms[pid]} fd{fd} {access or '?'}")
        if cid in missing and missing[cid] in (access or missing[cid]):
            del missing[cid]
    # A denied process matters only when some other end is still unaccounted for.
    return found, denied if missing else []


def _nearest_first(asked: Collection[int], skip_asked: bool) -> list[int]:
    """Every pid: parents of ``asked``, then their children, siblings, then the rest."""
    parent = procfs.parents()
    ppids = {parent.get(p) for p in asked}

    def rank(pid: int) -> int:
        if pid in ppids:
            return 0
        if parent[pid] in asked:
            return 1
        return 2 if parent[pid] in ppids else 3

    return sorted((p for p in parent if not (skip_asked and p in asked)), key=rank)


def _access(pid: int, fd: int) -> str | None:
    """The access mode of one fd, or None where it is gone or hidden."""
    flags = procfs.read_fd_flags(pid, fd)
    return None if flags is None else access_of(flags)
