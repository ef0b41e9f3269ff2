"""Channels built from what ``/proc`` says: one function per family of targets.

Channel ids (stable within a snapshot, documented in docs/readme/fds.md):
- ``pipe:[INODE]`` for a pipe (one channel, both ends), ``socket:[INODE]`` for
  each socket endpoint, as the kernel prints them in ``/proc/pid/fd``;
- ``KIND:[MAJOR:MINOR:INODE]`` for files, directories, devices and FIFOs: the
  filesystem's device and the inode, so every fd on the same file or FIFO meets
  in one channel;
- ``anon:[TYPE]:PID:FD`` for anonymous inodes (eventfd, eventpoll, ...): they
  all share one inode, so only the holder tells them apart.
"""

from __future__ import annotations

import os

from iochannels.live.classify import Target, channel_id_for_path, kind_of_mode
from iochannels.live.netfiles import SockRow
from iochannels.live.procfs import FdInfo
from iochannels.live.sockdiag import Diag
from iochannels.model import Buffer, BufferRole, Channel, Kind

__all__ = ["anon_channel", "path_channel", "socket_channel", "unknown_socket"]

# fdinfo lines worth keeping per anon type (proc(5) "/proc/pid/fdinfo").
_ANON_KEYS = (
    "eventfd-count",
    "clockid",
    "ticks",
    "it_value",
    "it_interval",
    "sigmask",
    "Pid",
    "inotify wd",
)


def anon_channel(pid: int, fd: int, target: Target, info: FdInfo | None) -> Channel:
    """eventfd, eventpoll (with the fds it watches), timerfd, signalfd, inotify, pidfd..."""
    detail = {"type": target.name}
    if info is not None:
        if info.tfds:
            detail["watches"] = ",".join(str(t) for t in info.tfds)
        detail.update((k, v) for k, v in info.extra if k in _ANON_KEYS)
    label = f"[{target.name}]"
    if "watches" in detail:
        label += f" watching fds {detail['watches']}"
    return Channel(f"anon:[{target.name}]:{pid}:{fd}", Kind.ANON, label, detail=detail)


def path_channel(target: Target, st: os.stat_result | None) -> Channel:
    """A file, directory, device or FIFO named by a path (deleted files and memfds too)."""
    if st is None:
        return Channel(
            f"path:{target.name}",
            Kind.UNKNOWN,
            target.name,
            detail={"error": "cannot stat the target"},
        )
    kind = kind_of_mode(st.st_mode)
    detail: dict[str, str] = {}
    if target.deleted:
        detail["deleted"] = "yes"
    if target.name.startswith("/memfd:"):
        detail["memfd"] = target.name.removeprefix("/memfd:")
    if kind in (Kind.CHR, Kind.BLK):
        detail["device"] = f"{os.major(st.st_rdev)}:{os.minor(st.st_rdev)}"
    elif kind is Kind.FILE:
        detail["size"] = str(st.st_size)
    label = target.name + (" (deleted)" if target.deleted else "")
    return Channel(channel_id_for_path(kind, st), kind, label, local=target.name, detail=detail)


def socket_channel(inode: int, row: SockRow, diag: Diag | None, peer: int | None) -> Channel:
    """One socket endpoint: addresses, state, and its send and recv buffers."""
    diag = diag or Diag()
    detail = dict(row.detail)
    if row.family:
        detail["family"] = row.family
    buffers: tuple[Buffer, ...] = ()
    if row.state == "LISTEN":
        # The queue of connections waiting for accept(2) and its limit (listen(2) backlog);
        # /proc/net/tcp gives the first, sock_diag both.
        queued = diag.rqueue if diag.rqueue is not None else row.recv_q
        detail.update(queued=_text(queued), backlog=_text(diag.wqueue))
    else:
        buffers = _socket_buffers(row, diag)
    local = row.local or ("unnamed" if row.family == "unix" else None)
    return Channel(
        f"socket:[{inode}]",
        row.kind,
        _label(row, local),
        row.state,
        local,
        _remote(row),
        f"socket:[{peer}]" if peer else None,
        buffers,
        detail,
    )


def _socket_buffers(row: SockRow, diag: Diag) -> tuple[Buffer, Buffer]:
    # UNIX rows of /proc/net carry no queues; sock_diag's RQLEN does. Its send
    # figure counts the kernel memory charged to the sender (skb truesize).
    send_q = row.send_q if row.send_q is not None else diag.wqueue
    recv_q = row.recv_q if row.recv_q is not None else diag.rqueue
    key = (diag.sndbuf, send_q, diag.rcvbuf, recv_q)
    buffers = _BUFFERS.get(key)
    if buffers is None:
        if len(_BUFFERS) >= 4096:  # bounded: fill levels vary without end under --watch
            _BUFFERS.clear()
        buffers = _BUFFERS[key] = (Buffer(BufferRole.SEND, diag.sndbuf, send_q),
                                   Buffer(BufferRole.RECV, diag.rcvbuf, recv_q))
    return buffers


# Buffers are values: the thousands of idle sockets of a machine share a few sizes and
# fill levels, and so share their (frozen) Buffer objects.
_BUFFERS: dict[tuple[int | None, ...], tuple[Buffer, Buffer]] = {}


def _text(value: int | None) -> str:
    return "?" if value is None else str(value)


def _remote(row: SockRow) -> str | None:
    if row.remote is None or row.remote.endswith(":0"):
        return None  # 0.0.0.0:0 and [::]:0: not connected
    return row.remote


def _label(row: SockRow, local: str | None) -> str:
    remote = _remote(row)
    return f"{local} -> {remote}" if remote else (local or str(row.kind))


def unknown_socket(inode: int, protocol: str) -> Channel:
    """A socket /proc/net does not list (another network namespace, another family)."""
    # The type of a UNIX socket (stream, dgram, seqpacket) is not in the protocol name.
    kind = {
        "TCP": Kind.TCP,
        "TCPv6": Kind.TCP,
        "UDP": Kind.UDP,
        "UDPv6": Kind.UDP,
        "NETLINK": Kind.NETLINK,
        "RAW": Kind.RAW,
    }.get(protocol, Kind.SOCKET)
    detail = {"protocol": protocol} if protocol else {}
    if protocol == "UNIX":
        detail["note"] = "not in this network namespace's /proc/net/unix"
    return Channel(f"socket:[{inode}]", kind, (protocol or "socket").lower(), detail=detail)
