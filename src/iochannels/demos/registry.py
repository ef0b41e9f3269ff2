"""The lecture's demos (docs/readme/demos-*.md), by section. Modules are imported only when run."""

from __future__ import annotations

from iochannels.demos.stage import DemoInfo
from iochannels.errors import NotFound
from iochannels.lecture import SECTIONS

__all__ = ["DEMOS", "SECTIONS", "get"]


_P = "iochannels.demos."

DEMOS: tuple[DemoInfo, ...] = (
    DemoInfo(
        "pitch-fds", 0, "The channels of a real application",
        "A chat-client-like program's fd table: how many are sockets, FIFOs and pipes.",
        _P + "pitch", "pitch_fds", sim="fd-table",
    ),
    DemoInfo(
        "popen", 0, "subprocess.Popen() wires pipes",
        "stdout=PIPE gives one pipe; stdin and stdout pipes make a two-way channel of two "
        "one-way pipes; the child is a zombie until waited for.",
        _P + "pitch", "popen", sim="two-pipes",
    ),
    DemoInfo(
        "buffer-size", 2, "How the buffer size changes throughput",
        "File writes and pipe transfers timed across chunk sizes: fewer system calls help "
        "until copying dominates; past the pipe's own 64 KiB buffer both sides block.",
        _P + "stream_vs_block", "buffer_size", sim="stream-vs-block",
    ),
    DemoInfo(
        "capacity", 2, "How much a channel holds",
        "A pipe filled non-blocking until EAGAIN beside F_GETPIPE_SZ; F_SETPIPE_SZ; socket "
        "buffer sizes; the largest UDP datagram.",
        _P + "stream_vs_block", "capacity", sim="blocking-full-pipe",
    ),
    DemoInfo(
        "pipe", 3, "Two pipes between a parent and its child",
        "A message and its echo over two pipes (inherited by fork): one buffer per pipe.",
        _P + "sockets_vs_pipes", "pipe", sim="two-pipes",
    ),
    DemoInfo(
        "fifo", 3, "Two FIFOs between unrelated processes",
        "to_server.fifo and from_server.fifo: found by their path in the filesystem.",
        _P + "sockets_vs_pipes", "fifo", sim="fifo",
    ),
    DemoInfo(
        "unix-stream", 3, "A UNIX stream socket",
        "The server binds a path and listens; accept makes a connection socket; one "
        "connection carries both directions, four buffers.",
        _P + "sockets_vs_pipes", "unix_stream", sim="unix-stream",
    ),
    DemoInfo(
        "unix-dgram", 3, "A UNIX datagram socket",
        "The client must bind its own path to get a reply; messages keep their boundaries.",
        _P + "sockets_vs_pipes", "unix_dgram", sim="unix-dgram",
    ),
    DemoInfo(
        "tcp", 3, "A TCP connection on loopback",
        "A listening socket plus one connection socket; found by the address 4-tuple.",
        _P + "sockets_vs_pipes", "tcp", sim="tcp",
    ),
    DemoInfo(
        "udp", 3, "UDP on loopback",
        "One socket on each side, no connection; replies go to the sender's address.",
        _P + "sockets_vs_pipes", "udp", sim="udp",
    ),
    DemoInfo(
        "redirect-stdout", 4, "Redirect standard output",
        "dup2(3, 1) inside the process, then the shell's way: fork, dup2 in the child, exec.",
        _P + "redirection", "redirect_stdout", sim="redirect",
    ),
    DemoInfo(
        "pipe-operator", 4, "Implement the | operator",
        "A manager makes a pipe, forks a writer and a reader, dup2s their ends onto 1 and 0, "
        "execs them: the reader prints 'Message is: Hello, world!'.",
        _P + "redirection", "pipe_operator", sim="pipe-operator",
    ),
    DemoInfo(
        "clients", 5, "N clients: TCP vs UDP",
        "1 + N server sockets for TCP, 1 for UDP; round-trip times, and the slow tail of a "
        "small listen backlog.",
        _P + "socket_operations", "clients", sim="tcp-clients",
    ),
    DemoInfo(
        "blocking", 6, "Blocking, partial transfers, EAGAIN, EOF, EPIPE",
        "Each bullet of section 6 observed on real channels.",
        _P + "blocking", "blocking", sim="blocking-full-pipe",
    ),
)


def get(name: str) -> DemoInfo:
    for info in DEMOS:
        if info.name == name:
            return info
    known = ", ".join(d.name for d in DEMOS)
    raise NotFound(f"no demo named {name!r} (known: {known})")
