"""What an fd points to, from its ``/proc/pid/fd/N`` link and fdinfo flags.

proc(5): the link reads ``pipe:[INODE]``, ``socket:[INODE]``,
``anon_inode:[TYPE]`` (or ``anon_inode:TYPE``), or a path, with `` (deleted)``
appended when the file was unlinked. Paths need a stat(2) of the target to tell
a regular file from a directory, a device or a FIFO.
"""

from __future__ import annotations

import os
import stat
from typing import NamedTuple

from iochannels.model import Access, Kind

__all__ = ["Target", "access_of", "channel_id_for_path", "flag_names", "kind_of_mode", "parse_link"]

DELETED = " (deleted)"


class Target(NamedTuple):
    """A parsed fd link. ``what`` is "pipe", "socket", "anon" or "path"."""

    what: str
    inode: int = 0  # pipes and sockets
    name: str = ""  # anon: the type ("eventfd"); path: the path without " (deleted)"
    deleted: bool = False


def parse_link(link: str) -> Target:
    """Parse a ``/proc/pid/fd/N`` link target.

    >>> parse_link("pipe:[11338]")
    Target(what='pipe', inode=11338, name='', deleted=False)
    >>> parse_link("anon_inode:[eventfd]").name, parse_link("anon_inode:inotify").name
    ('eventfd', 'inotify')
    >>> parse_link("/memfd:x (deleted)")
    Target(what='path', inode=0, name='/memfd:x', deleted=True)
    """
    head, sep, rest = link.partition(":")
    if sep and rest.startswith("[") and rest.endswith("]") and head in ("pipe", "socket"):
        return Target(head, int(rest[1:-1]))
    if head == "anon_inode" and sep:
        return Target("anon", name=rest.strip("[]"))
    if not link.startswith("/") and sep and rest.startswith("["):
        return Target("anon", name=head)  # e.g. "pidfd:[123]" on pidfs kernels
    if link.endswith(DELETED):
        return Target("path", name=link[: -len(DELETED)], deleted=True)
    return Target("path", name=link)


def kind_of_mode(mode: int) -> Kind:
    """The kind of a path target from its stat(2) mode (inode(7) file types)."""
    match stat.S_IFMT(mode):
        case stat.S_IFREG:
            return Kind.FILE
        case stat.S_IFDIR:
            return Kind.DIR
        case stat.S_IFCHR:
            return Kind.CHR
        case stat.S_IFBLK:
            return Kind.BLK
        case stat.S_IFIFO:
            return Kind.FIFO
        case stat.S_IFSOCK:
            return Kind.SOCKET
    return Kind.UNKNOWN


def channel_id_for_path(kind: Kind, st: os.stat_result) -> str:
    """Files, dirs, devices and FIFOs are named by the filesystem's device and the inode.

    >>> st = os.stat_result((0o100644, 42, 2049, 1, 0, 0, 0, 0, 0, 0))
    >>> channel_id_for_path(Kind.FILE, st)
    'file:[8:1:42]'
    """
    return f"{kind}:[{os.major(st.st_dev)}:{os.minor(st.st_dev)}:{st.st_ino}]"


_ACCESS: dict[int, Access] = {os.O_RDONLY: "r", os.O_WRONLY: "w", os.O_RDWR: "rw"}

# open(2) flags worth showing; fdinfo reports close-on-exec as O_CLOEXEC (proc(5)).
_FLAGS = (
    (os.O_NONBLOCK, "nonblock"),
    (os.O_CLOEXEC, "cloexec"),
    (os.O_APPEND, "append"),
    (os.O_DIRECT, "direct"),
    (os.O_SYNC, "sync"),
    (os.O_PATH, "path"),
)


def access_of(flags: int) -> Access | None:
    """r, w or rw from the O_ACCMODE bits; None for an O_PATH fd (no I/O at all).

    >>> access_of(0o2), access_of(0o2004001)
    ('rw', 'w')
    """
    if flags & os.O_PATH:
        return None
    return _ACCESS.get(flags & os.O_ACCMODE)


_FLAG_CACHE: dict[int, frozenset[str]] = {}


def flag_names(flags: int) -> frozenset[str]:
    """The named flags set in ``flags`` (cached: a process has few distinct combinations).

    >>> sorted(flag_names(0o2004002))
    ['cloexec', 'nonblock']
    """
    names = _FLAG_CACHE.get(flags)
    if names is None:
        names = frozenset(n for bit, n in _FLAGS if flags & bit == bit)
        _FLAG_CACHE[flags] = names
    return names
