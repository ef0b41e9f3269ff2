"""Section 3: sockets vs pipes. One message from a client to a server and back, per channel."""

from __future__ import annotations

from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios.base import Params, Scenario
from iochannels.sim.scenarios.common import connect, read_all, say, sendto, start_pair

__all__ = ["SCENARIOS"]

MESSAGE = b"Hello, world!\n"
N = 100  # bytes asked for in each read: more than any message here
SOCK = "/tmp/echo.sock"
CLIENT_SOCK = "/tmp/client.sock"
TCP_ADDR = ("127.0.0.1", 8080)
UDP_ADDR = ("127.0.0.1", 9090)


def pipe(kernel: Kernel, params: Params) -> None:
    """The lecture's pipe walkthrough: pipe, fork, close the unused ends, write, read, EOF."""

    async def reader(p: Proc) -> int:
        await p.close(4)  # the child reads: its copy of the write end would hold off EOF
        message = await read_all(p, 3, N)  # the message, then 0 bytes: end of stream
        await say(p, f"child got: {message.decode()}")
        return 0

    async def parent(p: Proc) -> int:
        await p.pipe()  # fds 3 (read end) and 4 (write end)
        await p.fork(reader, name="child")  # the child inherits both ends
        await p.close(3)  # the parent writes: close the read end
        await p.write(4, MESSAGE)
        await p.close(4)  # the last write end closed: the reader will see EOF
        await p.wait()
        return 0

    kernel.spawn(parent, name="parent", argv=("parent",))


def two_pipes(kernel: Kernel, params: Params) -> None:
    """Two one-way pipes make one two-way channel between a parent and its child."""

    async def child(p: Proc) -> int:
        await p.close(4)  # keep to_child's read end (3) and from_child's write end (6)
        await p.close(5)
        message = await p.read(3, N)
        await p.write(6, message)  # echo it back
        await p.close(3)
        await p.close(6)
        return 0

    async def parent(p: Proc) -> int:
        await p.pipe()  # to_child: 3 -> read end, 4 -> write end
        await p.pipe()  # from_child: 5 -> read end, 6 -> write end
        await p.fork(child, name="child")
        await p.close(3)
        await p.close(6)
        await p.write(4, MESSAGE)
        echo = await p.read(5, N)
        await say(p, f"echo: {echo.decode()}")
        await p.close(4)
        await p.close(5)
        await p.wait()
        return 0

    kernel.spawn(parent, name="parent", argv=("parent",))


def fifo(kernel: Kernel, params: Params) -> None:
    """Two FIFOs in the filesystem; the processes find them by path, not by inheritance."""

    async def server(p: Proc) -> int:
        rd = await p.open("to_server.fifo", "r")  # blocks until a writer opens (fifo(7))
        wr = await p.open("from_server.fifo", "w")
        message = await p.read(rd, N)
        await p.write(wr, message)
        await p.close(rd)
        await p.close(wr)
        return 0

    async def client(p: Proc) -> int:
        wr = await p.open("to_server.fifo", "w")  # blocks until a reader opens
        rd = await p.open("from_server.fifo", "r")
        await p.write(wr, MESSAGE)
        echo = await p.read(rd, N)
        await say(p, f"echo: {echo.decode()}")
        await p.close(wr)
        await p.close(rd)
        return 0

    async def shell(p: Proc) -> int:
        await p.mkfifo("to_server.fifo")
        await p.mkfifo("from_server.fifo")
        await p.fork(server, name="server")
        await p.fork(client, name="client")
        await p.wait()
        await p.wait()
        await p.unlink("to_server.fifo")
        await p.unlink("from_server.fifo")
        return 0

    kernel.spawn(shell, name="sh", argv=("sh",))


def unix_stream(kernel: Kernel, params: Params) -> None:
    """A UNIX stream socket: bind a path, listen, accept a connection socket, echo."""

    async def server(p: Proc) -> int:
        ls = await p.socket("unix", "stream")
        await p.bind(ls, SOCK)  # creates the filesystem entry (unix(7))
        await p.listen(ls, 5)
        conn, _ = await p.accept(ls)  # a new socket for this one client
        message = await p.recv(conn, N)
        await p.send(conn, message)
        await p.close(conn)
        await p.close(ls)
        await p.unlink(SOCK)
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("unix", "stream")
        await connect(p, s, SOCK)
        await p.send(s, MESSAGE)
        echo = await p.recv(s, N)
        await say(p, f"echo: {echo.decode()}")
        await p.close(s)
        return 0

    start_pair(kernel, server, client)


def unix_dgram(kernel: Kernel, params: Params) -> None:
    """A UNIX datagram socket: the client binds its own path, or no reply can reach it."""

    async def server(p: Proc) -> int:
        s = await p.socket("unix", "dgram")
        await p.bind(s, SOCK)
        message, sender = await p.recvfrom(s, N)
        await p.sendto(s, message, sender)  # the reply goes to the sender's bound path
        await p.close(s)
        await p.unlink(SOCK)
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("unix", "dgram")
        await p.bind(s, CLIENT_SOCK)  # without it the server has nowhere to reply
        await sendto(p, s, MESSAGE, SOCK)
        echo, _ = await p.recvfrom(s, N)
        await say(p, f"echo: {echo.decode()}")
        await p.close(s)
        await p.unlink(CLIENT_SOCK)
        return 0

    start_pair(kernel, server, client)


def tcp(kernel: Kernel, params: Params) -> None:
    """TCP on simulated addresses: a listening socket, then one connection socket per client."""

    async def server(p: Proc) -> int:
        ls = await p.socket("inet", "stream")
        await p.bind(ls, TCP_ADDR)
        await p.listen(ls, 5)
        conn, _ = await p.accept(ls)
        message = await p.recv(conn, N)
        await p.send(conn, message)
        await p.close(conn)
        await p.close(ls)
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("inet", "stream")
        await connect(p, s, TCP_ADDR)  # the kernel picks an ephemeral local port
        await p.send(s, MESSAGE)
        echo = await p.recv(s, N)
        await say(p, f"echo: {echo.decode()}")
        await p.close(s)
        return 0

    start_pair(kernel, server, client)


def udp(kernel: Kernel, params: Params) -> None:
    """UDP: one socket on each side, no connection; the reply goes to the sender's address."""

    async def server(p: Proc) -> int:
        s = await p.socket("inet", "dgram")
        await p.bind(s, UDP_ADDR)
        message, sender = await p.recvfrom(s, N)
        await p.sendto(s, message, sender)
        await p.close(s)
        return 0

    async def client(p: Proc) -> int:
        s = await p.socket("inet", "dgram")
        await p.sendto(s, MESSAGE, UDP_ADDR)  # binds an ephemeral port on the way (udp(7))
        echo, _ = await p.recvfrom(s, N)
        await say(p, f"echo: {echo.decode()}")
        await p.close(s)
        return 0

    start_pair(kernel, server, client)


_ECHO = "The client's message comes back: the terminal shows 'echo: Hello, world!'.\n"

SCENARIOS = (
    Scenario(
        "pipe", 3, "The pipe walkthrough: pipe, fork, close unused ends, write, read, EOF",
        "pipe() gives fds 3 (read end) and 4 (write end) of ONE channel with ONE buffer.\n"
        "After fork the child holds both ends too; each side closes the end it does not use.\n"
        "The write fills the buffer, the read empties it; once the last write end is closed\n"
        "the reader's next read returns 0 bytes: end of stream.",
        pipe,
    ),
    Scenario(
        "two-pipes", 3, "Bidirectional transfer over two pipes",
        "Two pipes, two buffers: one for each direction, inherited by the child.\n" + _ECHO,
        two_pipes,
    ),
    Scenario(
        "fifo", 3, "Bidirectional transfer over two FIFOs",
        "The FIFOs are entries in the filesystem: server and client open them by path.\n"
        "Opening a FIFO blocks until the other end is opened too (fifo(7)).\n" + _ECHO,
        fifo,
    ),
    Scenario(
        "unix-stream", 3, "Bidirectional transfer over a UNIX stream socket",
        "The server's listening socket never carries data: accept makes a connection socket.\n"
        "A connection is two sockets, each with a send and a receive buffer: four buffers.\n"
        + _ECHO,
        unix_stream,
    ),
    Scenario(
        "unix-dgram", 3, "Bidirectional transfer over a UNIX datagram socket",
        "No connection: each datagram names its destination path.\n"
        "The client binds its own path so that the server's reply can reach it.\n" + _ECHO,
        unix_dgram,
    ),
    Scenario(
        "tcp", 3, "Bidirectional transfer over TCP",
        "The client's socket gets an ephemeral port; the connection is the 4-tuple\n"
        "(client address, client port, server address, server port).\n"
        "The server holds the listening socket plus one connection socket.\n" + _ECHO,
        tcp,
    ),
    Scenario(
        "udp", 3, "Bidirectional transfer over UDP",
        "One socket on each side and no connection: recvfrom tells the server who sent,\n"
        "and the reply goes to that address.\n" + _ECHO +
        "With -p preempt=50 some seeds send before the server has bound its port: the\n"
        "datagram is lost without an error and the client waits forever (udp(7)).\n",
        udp,
    ),
)
