"""What strace's ``-yy`` decoration says an fd points to -> a channel's id, kind and addresses.

strace(1) prints ``pipe:[N]`` for a pipe (the inode, as ``/proc/PID/fd`` links
read, proc(5)), ``UNIX-STREAM:[N->M]`` for a connected UNIX socket (its inode
and its peer's), ``UNIX:[N,"path"]`` for a bound one, ``TCP:[N]`` for a fresh
TCP socket and ``TCP:[127.0.0.1:5->127.0.0.1:6]`` once it has addresses (then
without the inode), ``anon_inode:[eventfd]``, or a path (``/dev/null<char 1:3>``
with the device, in newer versions).
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass

from iochannels.model import Kind

__all__ = ["Decoded", "decode", "path_kind", "socket_kind"]

_SOCKET = re.compile(r"(UNIX(?:-STREAM|-DGRAM|-SEQPACKET)?|TCP(?:v6)?|UDP(?:v6)?|UDPLITE(?:v6)?|"
                     r"NETLINK|RAW(?:v6)?|socket):\[(.*)\]$", re.S)
_UNIX_KINDS = {"UNIX-STREAM": Kind.UNIX_STREAM, "UNIX-DGRAM": Kind.UNIX_DGRAM,
               "UNIX-SEQPACKET": Kind.UNIX_SEQPACKET}


@dataclass(frozen=True, slots=True)
class Decoded:
    """What a decoration tells. ``inode`` is None when strace printed only addresses."""

    what: str  # "pipe", "socket", "anon", "path", "unknown"
    kind: Kind | None = None  # None: the decoration alone does not tell (UNIX:[N], socket:[N])
    inode: int | None = None
    peer_inode: int | None = None
    local: str | None = None
    remote: str | None = None
    path: str | None = None


def decode(what: str) -> Decoded:
    """Read one decoration (already unescaped).

    >>> decode("pipe:[58627]").inode, decode("pipe:[58627]").kind
    (58627, <Kind.PIPE: 'pipe'>)
    >>> d = decode("UNIX-STREAM:[57756->57757]"); d.kind, d.inode, d.peer_inode
    (<Kind.UNIX_STREAM: 'unix-stream'>, 57756, 57757)
    >>> d = decode("TCP:[127.0.0.1:43879->127.0.0.1:45708]"); d.inode, d.local, d.remote
    (None, '127.0.0.1:43879', '127.0.0.1:45708')
    >>> d = decode('UNIX:[59417,"/tmp/s,ock"]'); d.inode, d.local
    (59417, '/tmp/s,ock')
    >>> decode("/dev/null<char 1:3>").kind, decode("/dev/null<char 1:3>").path
    (<Kind.CHR: 'chr'>, '/dev/null')
    """
    if what.startswith("pipe:["):
        return Decoded("pipe", Kind.PIPE, _int(what[6:-1]))
    if what.startswith("anon_inode:"):
        return Decoded("anon", Kind.ANON, path=what[11:].strip("[]"))
    match = _SOCKET.match(what)
    if match:
        return _socket(match.group(1), match.group(2))
    if what.startswith("/"):
        path, _, device = what.partition("<")
        kind = Kind.CHR if device.startswith("char ") else Kind.BLK if device.startswith(
            "block ") else None
        return Decoded("path", kind, path=path.removesuffix(" (deleted)"))
    return Decoded("unknown", Kind.UNKNOWN, path=what)


def _int(text: str) -> int | None:
    return int(text) if text.isdigit() else None


def _socket(family: str, body: str) -> Decoded:
    kind = socket_kind_of_name(family)
    if family.startswith("UNIX") or family in ("NETLINK", "socket"):
        head, _, path = body.partition(",")
        ends = head.split("->")
        local = path.strip('"') or None
        return Decoded("socket", kind, _int(ends[0]),
                       _int(ends[1]) if len(ends) > 1 else None, local=local)
    if body.isdigit():
        return Decoded("socket", kind, int(body))
    local, _, remote = body.partition("->")
    return Decoded("socket", kind, None, local=local or None, remote=remote or None)


def socket_kind_of_name(family: str) -> Kind | None:
    if family in _UNIX_KINDS:
        return _UNIX_KINDS[family]
    if family.startswith("TCP"):
        return Kind.TCP
    if family.startswith("UDP"):
        return Kind.UDP
    if family.startswith("RAW"):
        return Kind.RAW
    if family == "NETLINK":
        return Kind.NETLINK
    return None  # "UNIX" alone or "socket": the socket() call's type tells


def socket_kind(domain: str, sock_type: str) -> Kind:
    """From socket(2)'s arguments: ``AF_UNIX, SOCK_STREAM|SOCK_CLOEXEC`` -> unix-stream.

    >>> socket_kind("AF_INET6", "SOCK_DGRAM|SOCK_NONBLOCK"), socket_kind("AF_PACKET", "SOCK_RAW")
    (<Kind.UDP: 'udp'>, <Kind.SOCKET: 'socket'>)
    """
    base = sock_type.split("|")[0]
    match domain, base:
        case ("AF_UNIX" | "AF_LOCAL", "SOCK_STREAM"):
            return Kind.UNIX_STREAM
        case ("AF_UNIX" | "AF_LOCAL", "SOCK_DGRAM"):
            return Kind.UNIX_DGRAM
        case ("AF_UNIX" | "AF_LOCAL", "SOCK_SEQPACKET"):
            return Kind.UNIX_SEQPACKET
        case ("AF_INET" | "AF_INET6", "SOCK_STREAM"):
            return Kind.TCP
        case ("AF_INET" | "AF_INET6", "SOCK_DGRAM"):
            return Kind.UDP
        case ("AF_INET" | "AF_INET6", "SOCK_RAW"):
            return Kind.RAW
        case ("AF_NETLINK", _):
            return Kind.NETLINK
    return Kind.SOCKET


def path_kind(path: str, hint: Kind | None) -> tuple[Kind, str]:
    """The kind and the channel id of a path, from stat(2) where the path is still there.

    The id is the one ``live`` gives (device and inode, ``file:[8:1:42]``), so that
    a file in the first table and the same file opened later are one channel.
    Looking is a stat(2): it changes nothing in the traced program.
    """
    try:
        st = os.stat(path)
    except OSError:
        kind = hint or (Kind.CHR if path.startswith("/dev/") else Kind.FILE)
        return kind, f"{kind}:{path}"
    kind = _MODES.get(stat.S_IFMT(st.st_mode), Kind.UNKNOWN)
    return kind, f"{kind}:[{os.major(st.st_dev)}:{os.minor(st.st_dev)}:{st.st_ino}]"


_MODES = {stat.S_IFREG: Kind.FILE, stat.S_IFDIR: Kind.DIR, stat.S_IFCHR: Kind.CHR,
          stat.S_IFBLK: Kind.BLK, stat.S_IFIFO: Kind.FIFO, stat.S_IFSOCK: Kind.SOCKET}
