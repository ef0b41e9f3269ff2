"""Section 5: socket operations. One server, N clients: TCP (1 + N sockets) vs UDP (1)."""

from __future__ import annotations

from select import POLLIN  # poll(2)'s events: the simulator uses Linux's numbers

from iochannels.sim import Kernel, Proc
from iochannels.sim.scenarios.base import MAX_CLIENTS, Params, Scenario
from iochannels.sim.scenarios.common import Program, connect, start_many

__all__ = ["SCENARIOS"]

N = 100
TCP_ADDR = ("127.0.0.1", 8080)
UDP_ADDR = ("127.0.0.1", 9090)


def _tcp_client(number: int) -> Program:
    async def client(p: Proc) -> int:
        s = await p.socket("inet", "stream")
        await connect(p, s, TCP_ADDR)  # S: the kernel queues the connection for accept
        await p.send(s, f"client {number}\n".encode())
        await p.recv(s, N)
        await p.close(s)  # C: close the connection
        return 0

    return client


def tcp_clients(kernel: Kernel, params: Params) -> None:
    clients, backlog = int(params["clients"]), int(params["backlog"])

    async def server(p: Proc) -> int:
        ls = await p.socket("inet", "stream")  # S: create the server socket
        await p.bind(ls, TCP_ADDR)
        await p.listen(ls, backlog)  # S: wait for connections
        conns = [(await p.accept(ls))[0] for _ in range(clients)]  # one socket per client
        for conn in conns:  # now it holds 1 + N sockets
            message = await p.recv(conn, N)
            await p.send(conn, message)
            await p.close(conn)
        await p.close(ls)
        return 0

    start_many(kernel, server, [_tcp_client(i) for i in range(1, clients + 1)])
    # The server holds fds 0..2, the listening socket and one socket per client at once:
    # it raises its own limit to that, as `ulimit -n` before it would (getrlimit(2)
    # RLIMIT_NOFILE), so that 10,000 clients is a run and not accept's EMFILE.
    fds = next(p for p in kernel.procs.values() if p.name == "server").fds
    fds.max_files = max(fds.max_files, clients + 4)


def _udp_client(number: int) -> Program:
    async def client(p: Proc) -> int:
        s = await p.socket("inet", "dgram")
        await p.sendto(s, f"client {number}\n".encode(), UDP_ADDR)  # no connection first
        await p.recvfrom(s, N)
        await p.close(s)
        return 0

    return client


def udp_clients(kernel: Kernel, params: Params) -> None:
    clients = int(params["clients"])

    async def server(p: Proc) -> int:
        s = await p.socket("inet", "dgram")
        await p.bind(s, UDP_ADDR)
        for _ in range(clients):  # one socket receives every client's datagrams
            message, sender = await p.recvfrom(s, N)
            await p.sendto(s, message, sender)
        await p.close(s)
        return 0

    start_many(kernel, server, [_udp_client(i) for i in range(1, clients + 1)])


def accept_queue(kernel: Kernel, params: Params) -> None:
    clients, backlog = int(params["clients"]), int(params["backlog"])

    async def server(p: Proc) -> int:
        ls = await p.socket("inet", "stream")
        await p.bind(ls, TCP_ADDR)
        await p.listen(ls, backlog)  # at most `backlog` connections wait for accept
        for _ in range(clients):  # an iterative server: one client at a time
            conn, _ = await p.accept(ls)
            message = await p.recv(conn, N)
            await p.send(conn, message)
            await p.close(conn)
        await p.close(ls)
        return 0

    start_many(kernel, server, [_tcp_client(i) for i in range(1, clients + 1)])


def poll_clients(kernel: Kernel, params: Params) -> None:
    clients = int(params["clients"])

    async def server(p: Proc) -> int:
        ls = await p.socket("inet", "stream")
        await p.bind(ls, TCP_ADDR)
        await p.listen(ls, clients)
        watched, done = [ls], 0
        while done < clients:
            ready = await p.poll([(fd, POLLIN) for fd in watched])  # waits for ANY of them
            for fd, _ in ready:
                if fd == ls:  # the listening socket is readable: a connection to accept
                    watched.append((await p.accept(ls))[0])
                elif message := await p.recv(fd, N):  # a client's bytes: echo them
                    await p.send(fd, message)
                else:  # end of stream: that client closed
                    await p.close(fd)
                    watched.remove(fd)
                    done += 1
        await p.close(ls)
        return 0

    start_many(kernel, server, [_tcp_client(i) for i in range(1, clients + 1)])


SCENARIOS = (
    Scenario(
        "tcp-clients", 5, "A TCP server with N clients: 1 listening socket + N connection sockets",
        "S: socket, bind, listen; C: connect; S: accept makes a NEW socket per client.\n"
        "Once the server has accepted every client it holds 1 + N sockets;\n"
        "each client holds one. Each connection has its own four buffers.",
        tcp_clients,
        {"clients": 3, "backlog": 10},
        {"clients": MAX_CLIENTS},
    ),
    Scenario(
        "udp-clients", 5, "A UDP server with N clients: 1 socket for all",
        "No listen, no accept, no connection: the server's ONE socket receives every\n"
        "client's datagrams, and recvfrom says which client sent each one.",
        udp_clients,
        {"clients": 3},
        {"clients": MAX_CLIENTS},
    ),
    Scenario(
        "accept-queue", 5, "A full accept queue: connections wait for an iterative server",
        "listen(fd, backlog) bounds the connections that wait for accept (Linux lets\n"
        "backlog + 1 wait). The server serves one client at a time; meanwhile the others\n"
        "connect: once the queue is full, the next connect waits too (<blocked>).\n"
        "Each accept takes one from the queue and makes room for a waiting client.",
        accept_queue,
        {"clients": 4, "backlog": 1},
        {"clients": MAX_CLIENTS},
    ),
    Scenario(
        "poll-clients", 5, "One server, N clients, one process: poll(2) says who is ready",
        "The server does not block in accept or in one client's recv: it blocks in poll,\n"
        "on ALL its sockets at once, and poll says which are readable: the listening\n"
        "socket (a connection to accept) or a connection (bytes, or end of stream).\n"
        "One process serves every client, each call only where it will not wait.",
        poll_clients,
        {"clients": 3},
        {"clients": MAX_CLIENTS},
    ),
)
