"""Socket addresses: paths in the filesystem (unix(7)) and ports (ip(7), tcp(7), udp(7)).

A UNIX socket's address is a path: ``bind`` creates the entry (EADDRINUSE if
the path exists), ``connect`` and ``sendto`` look it up (ENOENT if missing,
ECONNREFUSED if it is no socket or nobody is behind it, EPROTOTYPE if it is a
socket of the other type). An inet address is ``(host, port)``; every host is
this machine, so the port alone finds a socket. Port 0 asks for an ephemeral
port, handed out from 32768 up (Linux's default ``ip_local_port_range``).
"""

from __future__ import annotations

from iochannels.sim.errors import fail
from iochannels.sim.fs import Filesystem
from iochannels.sim.sockets import Addr, Socket, StreamSocket

__all__ = ["EPHEMERAL", "Addresses"]

EPHEMERAL = 32768
SUN_PATH = 108  # sizeof(((struct sockaddr_un *)0)->sun_path)


class Addresses:
    def __init__(self, fs: Filesystem) -> None:
        self.fs = fs
        self.ports: dict[tuple[str, int], Socket] = {}  # (tcp | udp, port) -> socket
        self._next_port = EPHEMERAL
        self.abstract: dict[str, Socket] = {}  # autobound UNIX sockets: in no directory
        self._next_abstract = 0

    def bind(self, sock: Socket, addr: Addr) -> None:
        if sock.inet:
            self._bind_inet(sock, addr)
        else:
            self._bind_unix(sock, addr)

    def _bind_unix(self, sock: Socket, addr: Addr) -> None:
        if not isinstance(addr, str):
            raise fail("EINVAL")
        if not addr:
            self._autobind(sock)
            return
        addr = self.fs.resolve(_sun_path(addr))
        if addr in self.fs.nodes:
            raise fail("EADDRINUSE")  # unix(7): the path must not exist yet
        if sock.local is not None:
            raise fail("EINVAL")  # bind(2): already bound (af_unix.c checks it second)
        self.fs.nodes[addr] = sock
        sock.local = addr

    def _autobind(self, sock: Socket) -> None:
        """unix(7): "If a bind(2) call specifies addrlen as sizeof(sa_family_t) ...
        the socket is autobound to an abstract address": a null byte and five hex
        digits; a socket that has an address keeps it (unix_autobind returns 0)."""
        if sock.local is not None:
            return
        while f"\0{self._next_abstract:05x}" in self.abstract:
            self._next_abstract += 1
        name = f"\0{self._next_abstract:05x}"
        self.abstract[name] = sock
        sock.local = name

    def _bind_inet(self, sock: Socket, addr: Addr) -> None:
        if not isinstance(addr, tuple):
            raise fail("EAFNOSUPPORT")  # __inet_bind: the family first
        if sock.local is not None:
            raise fail("EINVAL")  # then "already bound"
        proto = _proto(sock)
        host, port = addr
        port = port or self._ephemeral(proto)
        if (proto, port) in self.ports:
            raise fail("EADDRINUSE")
        self.ports[(proto, port)] = sock
        sock.local = (host, port)

    def _ephemeral(self, proto: str) -> int:
        # Linux picks ephemeral ports at random (inet_hash_connect, udp_lib_get_port), so a
        # TCP and a UDP socket on one machine seldom get the same number: neither here.
        while any((p, self._next_port) in self.ports for p in ("tcp", "udp")):
            self._next_port += 1
        return self._next_port

    def lookup(self, sock: Socket, addr: Addr) -> Socket | None:
        """The live socket at ``addr``, as connect(2) and sendto(2) find it, or None."""
        if not sock.inet:
            if not isinstance(addr, str) or not addr:
                raise fail("EINVAL")  # unix_validate_addr: no sun_path at all
            if addr.startswith("\0"):
                found = self.abstract.get(addr)
                if found is None or found.closed:
                    return None  # ECONNREFUSED: an abstract name is no file
                node: object = found
            else:
                node = self.fs.lookup(_sun_path(addr))  # ENOENT: no such path
            if isinstance(node, Socket) and type(node) is not type(sock):
                raise fail("EPROTOTYPE")  # unix(7): a stream socket is no datagram peer
            return node if isinstance(node, Socket) and not node.closed else None
        if not isinstance(addr, tuple):
            raise fail("EAFNOSUPPORT")  # tcp_v4_connect, udp_sendmsg: not AF_INET
        found = self.ports.get((_proto(sock), addr[1]))
        return found if found is not None and not found.closed else None


def _sun_path(path: str) -> str:
    """unix(7): sun_path holds 108 bytes (the kernel adds the terminating null itself);
    a longer address is longer than struct sockaddr_un: EINVAL."""
    if len(path.encode(errors="surrogateescape")) > SUN_PATH:
        raise fail("EINVAL")
    return path


def _proto(sock: Socket) -> str:
    return "tcp" if isinstance(sock, StreamSocket) else "udp"
