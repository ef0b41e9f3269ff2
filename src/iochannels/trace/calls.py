"""The call table: what each fd-related system call does to the rebuilt state.

One function per call family, each applying the man page's meaning to
:class:`~iochannels.trace.state.State` after strace reported the call's result.
A failed call changes nothing (its errno is shown, not applied).
"""

from __future__ import annotations

import os
from collections.abc import Callable

from iochannels.model import Access, Kind
from iochannels.trace.args import Fd, fd_list, fd_of, unescape
from iochannels.trace.channels import decode, path_kind, socket_kind
from iochannels.trace.lines import Call
from iochannels.trace.state import PIPE_CAPACITY, Chan, Ofd, Proc, Slot, State

__all__ = ["FD_CALLS", "apply", "channel_for", "ensure_fd"]

_ACCESS: dict[str, Access] = {"O_RDONLY": "r", "O_WRONLY": "w", "O_RDWR": "rw"}


def _flags(text: str) -> set[str]:
    return set(text.split("|")) if text else set()


def _status(bits: set[str]) -> set[str]:
    """open(2) status flags kept on the open file description."""
    return {name for bit, name in (("O_NONBLOCK", "nonblock"), ("SOCK_NONBLOCK", "nonblock"),
                                   ("O_APPEND", "append")) if bit in bits}


def channel_for(state: State, fd: Fd, hint: Kind | None = None) -> Chan:
    """The channel an fd's decoration names (made the first time it is seen)."""
    what = fd.what or f"unknown:fd{fd.number}"
    dec = decode(what)
    match dec.what:
        case "pipe":
            chan = state.chan(f"pipe:[{dec.inode}]", Kind.PIPE, "pipe")
        case "socket":
            kind = dec.kind or hint or Kind.SOCKET
            if dec.inode is not None:
                chan_id = f"socket:[{dec.inode}]"
            else:
                chan_id = f"{kind}:[{dec.local}->{dec.remote}]"
            chan = state.chan(chan_id, kind)
            if dec.kind is not None and chan.kind in (Kind.SOCKET, Kind.UNIX_STREAM):
                chan.kind = dec.kind
            _addresses(state, chan, dec.peer_inode, dec.local, dec.remote)
        case "anon":
            chan = state.chan(state.anon_id(dec.path or "anon"), Kind.ANON, dec.path or "anon")
        case "path":
            assert dec.path is not None
            kind, chan_id = path_kind(dec.path, dec.kind or hint)
            chan = state.chan(chan_id, kind, dec.path)
        case _:
            chan = state.chan(what, Kind.UNKNOWN)
    if chan.kind.is_pipe_like and chan.capacity is None:
        chan.capacity = PIPE_CAPACITY
    return chan


def _addresses(state: State, chan: Chan, peer_inode: int | None, local: str | None,
               remote: str | None) -> None:
    if peer_inode is not None:
        chan.peer = f"socket:[{peer_inode}]"
        chan.state = chan.state if chan.state in ("LISTEN",) else "CONNECTED"
        other = state.chans.get(chan.peer)
        if other is not None:
            other.peer = chan.id
    if local:
        chan.local = local
    if remote:
        chan.remote = remote
        chan.state = "ESTABLISHED" if chan.kind == Kind.TCP else chan.state or "CONNECTED"
        for other in state.chans.values():  # TCP on this host: the reversed address pair
            if other is not chan and other.local == remote and other.remote == local:
                chan.peer, other.peer = other.id, chan.id


def ensure_fd(state: State, proc: Proc, fd: Fd) -> Slot | None:
    """The slot of an fd the call names; an fd the trace never saw opened (an fd inherited
    from outside and absent from the first table) is added as strace describes it."""
    slot = proc.fds.get(fd.number)
    if slot is None and fd.what is not None:
        chan = channel_for(state, fd)
        slot = Slot(state.new_ofd(chan.id, None, set()))
        proc.fds[fd.number] = slot
    elif slot is not None and fd.what is not None:
        dec = decode(fd.what)
        known = state.chans.get(slot.ofd.channel)
        if known is not None and dec.what == "socket":
            _addresses(state, known, dec.peer_inode, dec.local, dec.remote)
    return slot


def _install(proc: Proc, number: int, ofd: Ofd, cloexec: bool) -> None:
    proc.fds[number] = Slot(ofd, cloexec)


def _open(state: State, proc: Proc, call: Call) -> None:
    if call.retval is None or call.retval < 0:
        return
    flag_arg = {"open": 1, "openat": 2, "creat": -1, "openat2": 2}.get(call.name, 1)
    bits = {"O_WRONLY", "O_CREAT", "O_TRUNC"} if flag_arg < 0 else _flags(
        call.args[flag_arg] if len(call.args) > flag_arg else "")
    if call.name == "openat2" and len(call.args) > 2:  # {flags=O_RDONLY|O_CLOEXEC, ...}
        bits = _flags(call.args[2].strip("{}").split(",")[0].removeprefix("flags="))
    access: Access | None = next((a for bit, a in _ACCESS.items() if bit in bits), "r")
    if "O_PATH" in bits:  # open(2): O_PATH "the file itself is not opened": no I/O at all
        access = None
    what = call.decoration or _path_arg(call, flag_arg)
    chan = channel_for(state, Fd(call.retval, what))
    ofd = state.new_ofd(chan.id, access, _status(bits))
    _install(proc, call.retval, ofd, "O_CLOEXEC" in bits)


def _path_arg(call: Call, flag_arg: int) -> str:
    index = 0 if call.name in ("open", "creat") else 1
    text = call.args[index] if len(call.args) > index else '""'
    return unescape(text.strip('"'))


def _close(state: State, proc: Proc, call: Call) -> None:
    """close(2): on Linux "the file descriptor is freed" even when close reports EINTR
    or EIO; only EBADF leaves the table as it was."""
    fd = fd_of(call.args[0]) if call.args else None
    if fd is not None and call.error in (None, "EINTR", "EIO"):
        proc.fds.pop(fd.number, None)


def _close_range(state: State, proc: Proc, call: Call) -> None:
    if call.retval != 0 or len(call.args) < 2:
        return
    first, last = int(call.args[0], 0), int(call.args[1], 0)
    cloexec = "CLOSE_RANGE_CLOEXEC" in (call.args[2] if len(call.args) > 2 else "")
    for number in [n for n in proc.fds if first <= n <= last]:
        if cloexec:
            proc.fds[number].cloexec = True
        else:
            del proc.fds[number]


def _dup(state: State, proc: Proc, call: Call) -> None:
    old = fd_of(call.args[0]) if call.args else None
    if old is None or call.retval is None or call.retval < 0:
        return
    slot = ensure_fd(state, proc, old)
    if slot is None:
        return
    cloexec = call.name == "dup3" and "O_CLOEXEC" in (call.args[2] if len(call.args) > 2 else "")
    if call.retval != old.number:  # dup2(2): "If oldfd equals newfd, dup2() does nothing"
        _install(proc, call.retval, slot.ofd, cloexec)


def _fcntl(state: State, proc: Proc, call: Call) -> None:
    fd = fd_of(call.args[0]) if call.args else None
    if fd is None or call.error is not None or len(call.args) < 2:
        return
    slot = ensure_fd(state, proc, fd)
    if slot is None:
        return
    command = call.args[1]
    value = call.args[2] if len(call.args) > 2 else ""
    match command:
        case "F_DUPFD" | "F_DUPFD_CLOEXEC" if call.retval is not None and call.retval >= 0:
            _install(proc, call.retval, slot.ofd, command == "F_DUPFD_CLOEXEC")
        case "F_SETFD":
            slot.cloexec = "FD_CLOEXEC" in value or value.strip() == "1"
        case "F_SETFL":
            slot.ofd.flags = (slot.ofd.flags - {"nonblock", "append"}) | _status(_flags(value))
        case "F_SETPIPE_SZ" if call.retval is not None and call.retval > 0:
            chan = state.chans.get(slot.ofd.channel)
            if chan is not None:
                chan.capacity = call.retval


def _ioctl(state: State, proc: Proc, call: Call) -> None:
    fd = fd_of(call.args[0]) if call.args else None
    if fd is None or call.retval != 0 or len(call.args) < 2:
        return
    slot = ensure_fd(state, proc, fd)
    if slot is not None and call.args[1] in ("FIOCLEX", "FIONCLEX"):
        slot.cloexec = call.args[1] == "FIOCLEX"


def _pipe(state: State, proc: Proc, call: Call) -> None:
    ends = fd_list(call.args[0]) if call.args else []
    if call.retval != 0 or len(ends) != 2:
        return
    bits = _flags(call.args[1]) if len(call.args) > 1 else set()
    chan = channel_for(state, ends[0])
    chan.used = 0  # a new pipe is empty, and both its ends are in the trace
    modes: tuple[Access, Access] = ("r", "w")  # pipe(2): fd[0] reads, fd[1] writes
    for end, access in zip(ends, modes, strict=True):
        _install(proc, end.number, state.new_ofd(chan.id, access, _status(bits)),
                 "O_CLOEXEC" in bits)


def _socket(state: State, proc: Proc, call: Call) -> None:
    if call.retval is None or call.retval < 0 or len(call.args) < 2:
        return
    bits = _flags(call.args[1])
    kind = socket_kind(call.args[0], call.args[1])
    chan = channel_for(state, Fd(call.retval, call.decoration), kind)
    chan.kind = kind
    chan.state = "UNCONNECTED"
    ofd = state.new_ofd(chan.id, "rw", _status(bits))
    _install(proc, call.retval, ofd, "SOCK_CLOEXEC" in bits)


def _socketpair(state: State, proc: Proc, call: Call) -> None:
    ends = fd_list(call.args[3]) if len(call.args) > 3 else []
    if call.retval != 0 or len(ends) != 2:
        return
    bits = _flags(call.args[1])
    kind = socket_kind(call.args[0], call.args[1])
    chans = [channel_for(state, end, kind) for end in ends]
    for chan, other in ((chans[0], chans[1]), (chans[1], chans[0])):
        chan.kind, chan.peer, chan.state, chan.used = kind, other.id, "CONNECTED", 0
    for end, chan in zip(ends, chans, strict=True):
        _install(proc, end.number, state.new_ofd(chan.id, "rw", _status(bits)),
                 "SOCK_CLOEXEC" in bits)


def _sockaddr(text: str) -> str | None:
    """``{sa_family=AF_UNIX, sun_path="/tmp/s"}`` -> "/tmp/s"; inet -> "127.0.0.1:80"."""
    if 'sun_path="' in text:
        return unescape(text.split('sun_path="', 1)[1].rsplit('"', 1)[0])
    if "sun_path=@" in text:
        return "@" + text.split("sun_path=@", 1)[1].split('"')[1]
    port = text.split("htons(", 1)[1].split(")")[0] if "htons(" in text else None
    host = None
    for marker in ('inet_addr("', 'inet_pton(AF_INET6, "'):
        if marker in text:
            host = text.split(marker, 1)[1].split('"')[0]
    if host is None or port is None:
        return None
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def _socket_call(state: State, proc: Proc, call: Call) -> None:
    fd = fd_of(call.args[0]) if call.args else None
    if fd is None:
        return
    slot = ensure_fd(state, proc, fd)
    chan = state.chans.get(slot.ofd.channel) if slot else None
    if chan is None:
        return
    ok = call.error is None or (call.name == "connect" and call.error == "EINPROGRESS")
    if not ok:
        return
    match call.name:
        case "bind":
            chan.local = _sockaddr(call.args[1]) if len(call.args) > 1 else chan.local
        case "listen":
            chan.state = "LISTEN"
        case "connect":
            address = _sockaddr(call.args[1]) if len(call.args) > 1 else None
            chan.remote = address or chan.remote
            chan.state = "ESTABLISHED" if chan.kind == Kind.TCP else "CONNECTED"
            if chan.used is None:
                chan.used = 0
        case "shutdown":
            how = call.args[1] if len(call.args) > 1 else ""
            chan.detail["shutdown"] = {"SHUT_RD": "read", "SHUT_WR": "write"}.get(how, "both")
        case "accept" | "accept4" if call.retval is not None and call.retval >= 0:
            bits = _flags(call.args[3]) if len(call.args) > 3 else set()
            new = channel_for(state, Fd(call.retval, call.decoration), chan.kind)
            new.state = "ESTABLISHED" if new.kind == Kind.TCP else "CONNECTED"
            new.used = 0 if new.used is None else new.used
            if new.local is None:
                new.local = chan.local
            _install(proc, call.retval, state.new_ofd(new.id, "rw", _status(bits)),
                     "SOCK_CLOEXEC" in bits)


_READS = frozenset({"read", "readv", "recv", "recvfrom", "recvmsg", "pread64", "preadv"})
_WRITES = frozenset({"write", "writev", "send", "sendto", "sendmsg", "pwrite64", "pwritev"})


def _transfer(state: State, proc: Proc, call: Call) -> None:
    """Buffer fill from sizes: a write adds to the pipe's (or the peer socket's receive)
    buffer, a read takes from it. Known only where the channel was made in the trace."""
    fd = fd_of(call.args[0]) if call.args else None
    if fd is None or call.retval is None or call.retval <= 0:
        return
    slot = ensure_fd(state, proc, fd)
    chan = state.chans.get(slot.ofd.channel) if slot else None
    if chan is None:
        return
    if call.name in _WRITES:
        target = chan if chan.kind.is_pipe_like else state.chans.get(chan.peer or "")
        if target is not None and target.used is not None:
            target.used += call.retval
    elif chan.used is not None:
        chan.used = max(chan.used - call.retval, 0)


def _fork(state: State, proc: Proc, call: Call) -> None:
    if call.retval is None or call.retval <= 0:
        return
    fork_child(state, proc, call.retval, call.name, " ".join(call.args))


def fork_child(state: State, parent: Proc, child: int, name: str, args: str) -> None:
    """fork(2): the child gets a copy of the fd table; the copies share the open file
    descriptions. clone(2) with CLONE_THREAD makes a thread: no new table at all."""
    if child in state.procs or child in state.threads:
        return
    if "CLONE_THREAD" in args:
        state.threads[child] = parent.pid
        return
    fds = {n: Slot(s.ofd, s.cloexec) for n, s in parent.fds.items()}
    state.procs[child] = Proc(child, parent.name, parent.argv, parent.pid, fds)


def _execve(state: State, proc: Proc, call: Call) -> None:
    """execve(2): "By default, file descriptors remain open across an execve()"; those
    marked close-on-exec are closed."""
    if call.retval != 0:
        return
    for number in [n for n, s in proc.fds.items() if s.cloexec]:
        del proc.fds[number]
    index = 1 if call.name == "execveat" else 0
    path = unescape(call.args[index].strip('"')) if len(call.args) > index else proc.name
    proc.name = os.path.basename(path)[:15] or proc.name
    argv = call.args[index + 1] if len(call.args) > index + 1 else "[]"
    proc.argv = tuple(unescape(a.strip('"')) for a in _list_items(argv))


def _list_items(text: str) -> tuple[str, ...]:
    from iochannels.trace.args import split_args

    inner = text.strip()
    if inner.startswith("[") and inner.endswith("]"):
        return tuple(a for a in split_args(inner[1:-1]) if a != "...")
    return ()


def _wait(state: State, proc: Proc, call: Call) -> None:
    """wait4(2) and waitid(2) reap a child: the zombie leaves the process table."""
    if call.retval is not None and call.retval > 0 and call.name != "waitid":
        reaped = state.procs.get(call.retval)
        if reaped is not None and reaped.exited:
            del state.procs[call.retval]


Handler = Callable[[State, Proc, Call], None]

FD_CALLS: dict[str, Handler] = {
    **dict.fromkeys(("open", "openat", "creat", "openat2"), _open),
    "close": _close,
    "close_range": _close_range,
    **dict.fromkeys(("dup", "dup2", "dup3"), _dup),
    **dict.fromkeys(("fcntl", "fcntl64"), _fcntl),
    "ioctl": _ioctl,
    **dict.fromkeys(("pipe", "pipe2"), _pipe),
    "socket": _socket,
    "socketpair": _socketpair,
    **dict.fromkeys(("bind", "listen", "connect", "shutdown", "accept", "accept4"), _socket_call),
    **dict.fromkeys(_READS | _WRITES, _transfer),
    **dict.fromkeys(("fork", "vfork", "clone", "clone3"), _fork),
    **dict.fromkeys(("execve", "execveat"), _execve),
    **dict.fromkeys(("wait4", "waitpid", "waitid"), _wait),
    **dict.fromkeys(("mknod", "mknodat", "unlink", "unlinkat", "exit", "exit_group",
                     "kill", "tgkill", "poll", "ppoll", "select", "pselect6", "epoll_wait",
                     "epoll_pwait", "splice", "tee", "sendfile", "lseek"), lambda *a: None),
}


def apply(state: State, proc: Proc, call: Call) -> None:
    handler = FD_CALLS.get(call.name)
    if handler is not None:
        handler(state, proc, call)
