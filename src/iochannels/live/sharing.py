"""Which fds share one open file description: kcmp(2) with KCMP_FILE.

dup(2), dup2(2) and fork(2) make a new fd that points to the SAME open file
description (open(2): "the file offset and the file status flags are shared");
open(2) twice on one path makes two. ``/proc`` does not say which is which; the
kernel answers with kcmp(KCMP_FILE, pid1, pid2, fd1, fd2): 0 when both fds point
to one open file description, 1 or 2 to order them otherwise. It needs the right
to ptrace-read both processes (PTRACE_MODE_READ_REALCREDS); where it is denied or
missing (seccomp in some containers), nothing is said: never a guess.
"""

from __future__ import annotations

import errno
import functools
import os
from collections.abc import Iterable
from dataclasses import replace

from iochannels.live import procfs, syscalls
from iochannels.model import Process

__all__ = ["kcmp_file", "mark_shared", "shared_groups"]

CROWD = 64  # more alike fds than this in one group: not compared (see mark_shared)


class Unavailable(Exception):
    """kcmp is not permitted or not there: sharing cannot be told."""


def kcmp_file(pid1: int, fd1: int, pid2: int, fd2: int) -> int:
    """0 when the two fds share one open file description; 1 or 2 orders them otherwise.

    >>> r, w = os.pipe(); d = os.dup(r)
    >>> kcmp_file(os.getpid(), r, os.getpid(), d), kcmp_file(os.getpid(), r, os.getpid(), w) > 0
    (0, True)
    >>> for fd in (r, w, d): os.close(fd)
    """
    try:
        return syscalls.kcmp_file(pid1, pid2, fd1, fd2)
    except OSError as exc:
        if exc.errno in (errno.EPERM, errno.EACCES, errno.ENOSYS):
            raise Unavailable(os.strerror(exc.errno)) from None
        raise  # EBADF, ESRCH: the fd or process went away


def _links(pids: Iterable[int]) -> dict[str, list[tuple[int, int]]]:
    by_target: dict[str, list[tuple[int, int]]] = {}
    for pid in pids:
        try:
            names = os.listdir(f"{procfs.root()}/{pid}/fd")
        except OSError:
            continue
        for name in names:
            try:
                target = os.readlink(f"{procfs.root()}/{pid}/fd/{name}")
            except OSError:
                continue
            by_target.setdefault(target, []).append((pid, int(name)))
    return by_target


def shared_groups(pids: Iterable[int],
                  candidates: Iterable[list[tuple[int, int]]] | None = None,
                  ) -> set[frozenset[tuple[int, int]]]:
    """The groups of (pid, fd) that share an open file description (two or more each).

    Only fds pointing to the same thing can share one, so each group of ``candidates``
    (default: the fds of ``pids`` by link target) is sorted with kcmp's order and cut
    where kcmp says "not the same". Denied: an empty set.
    """
    groups: set[frozenset[tuple[int, int]]] = set()
    for ends in (candidates if candidates is not None else _links(pids).values()):
        if len(ends) < 2:
            continue
        try:
            groups |= _split(list(ends))
        except Unavailable:
            continue  # not permitted for these processes: say nothing about them
        except OSError:
            continue  # a process or fd went away meanwhile: that group is not told
    return groups


def _split(ends: list[tuple[int, int]]) -> set[frozenset[tuple[int, int]]]:
    def order(a: tuple[int, int], b: tuple[int, int]) -> int:
        return {0: 0, 1: -1, 2: 1}.get(kcmp_file(a[0], a[1], b[0], b[1]), 0)

    ends.sort(key=functools.cmp_to_key(order))
    found: set[frozenset[tuple[int, int]]] = set()
    run = [ends[0]]
    for end in ends[1:]:
        if kcmp_file(run[0][0], run[0][1], end[0], end[1]) == 0:
            run.append(end)
            continue
        if len(run) > 1:
            found.add(frozenset(run))
        run = [end]
    if len(run) > 1:
        found.add(frozenset(run))
    return found


def mark_shared(processes: tuple[Process, ...]) -> tuple[Process, ...]:
    """The processes with ``open_file`` set on every fd that shares its open file
    description with another fd shown: named after the lowest (pid, fd) of the group,
    ``"of:1234/1"``. Fds that share with no other keep None, as do those kcmp may not
    compare, so a snapshot without sharing is the same as before."""
    # One open file description has one channel, access mode, offset and status flags
    # (fdinfo, proc(5)): only fds alike in all four can share one, and only those are
    # compared. A crowd of alike fds (hundreds of /dev/null opened one by one) is left
    # untold: sorting it with kcmp would cost more than the whole snapshot.
    by_key: dict[tuple[object, ...], list[tuple[int, int]]] = {}
    status: dict[frozenset[str], frozenset[str]] = {}  # flags -> without cloexec: few kinds
    for proc in processes:
        pid = proc.pid
        for entry in proc.fds:
            flags = entry.flags
            if (kept := status.get(flags)) is None:
                kept = status[flags] = flags - {"cloexec"}  # the fd's own flag, not shared
            key = (entry.channel, entry.access, entry.offset, kept)
            by_key.setdefault(key, []).append((pid, entry.fd))
    groups = shared_groups((), [ends for ends in by_key.values() if 1 < len(ends) <= CROWD])
    if not groups:
        return processes
    names = {end: "of:{}/{}".format(*min(group)) for group in groups for end in group}
    return tuple(
        replace(proc, fds=tuple(replace(e, open_file=names[(proc.pid, e.fd)])
                                if (proc.pid, e.fd) in names else e for e in proc.fds))
        if any((proc.pid, e.fd) in names for e in proc.fds) else proc
        for proc in processes)
