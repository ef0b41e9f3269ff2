"""The simulator's deliberate simplifications, by name, and how the harness keeps them out.

Each one is documented in ``docs/readme/sim-kernel.md``. The harness never
skips a difference silently: a script that would reach one of these stops
just before, and the report counts the stops by name.

:data:`SIMPLIFICATIONS` are the model's choices. :data:`DIVERGENCES` are
differences the harness found that are no choice (the simulator should learn
Linux's answer); they are kept out the same way, by name, until it does, and
``tests/fidelity`` checks that each still shows, so that a fixed one gets noticed.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["DIVERGENCES", "EXCLUSIONS", "SIMPLIFICATIONS", "SOCKET_BUDGET", "Simplification"]


@dataclass(frozen=True, slots=True)
class Simplification:
    name: str
    what: str
    kept_out: str


SOCKET_BUDGET = 65536  # payload bytes a script may send on sockets, in all
SOCKET_SENDS = 32  # and in how many calls

SIMPLIFICATIONS: tuple[Simplification, ...] = (
    Simplification(
        "socket-buffer-accounting",
        "socket buffers count payload bytes; Linux charges each message's kernel memory "
        "(skb truesize) against SO_SNDBUF, so when a socket fills depends on message sizes",
        f"a script stops before its socket sends pass {SOCKET_BUDGET} bytes or "
        f"{SOCKET_SENDS} calls, far below Linux's limits and the harness kernel's",
    ),
    Simplification(
        "pids",
        "process ids are the simulator's own (100 and up)",
        "fork's return value is compared as 'a pid', not as a number",
    ),
    Simplification(
        "terminal",
        "fds 0, 1, 2 are a simulated terminal; the real workers have /dev/null there",
        "both are compared as 'chr'; reads see end of file on both; a script stops "
        "before an lseek on them (a terminal says ESPIPE, /dev/null says 0)",
    ),
    Simplification(
        "two-waiters",
        "when two processes wait at once, which one Linux wakes and runs first is a race",
        "a script stops before a second process would wait while another still waits",
    ),
    Simplification(
        "tcp-handshake",
        "TCP's handshake completes at once: connect never says EINPROGRESS, and a connect "
        "to a listener whose accept queue is full waits until an accept makes room (Linux "
        "drops the SYN and retries it after 1 s, 3 s, 7 s...)",
        "the Linux worker completes a nonblocking connect's handshake (poll for POLLOUT, "
        "then SO_ERROR) and reports that as connect's result; a script stops before a TCP "
        "connect to a listener whose accept queue is full",
    ),
    Simplification(
        "tcp-nagle",
        "every TCP send is in the peer's receive buffer at once; Linux's Nagle algorithm "
        "holds a small segment back while an earlier one waits for its (delayed) ACK, so "
        "a recv right after may get fewer bytes",
        "mapped: the Linux worker sets TCP_NODELAY on every TCP socket it makes (accepted "
        "ones inherit it)",
    ),
    Simplification(
        "port-reuse",
        "a port stays taken after its socket is closed, or after shutdown(SHUT_RD) "
        "stopped its listener (Linux frees a UDP port at once, a TCP port when no "
        "connection on it is left, TIME_WAIT included)",
        "a script stops before it binds again a port whose socket is closed or whose "
        "listener was stopped",
    ),
    Simplification(
        "tcp-zero-recv",
        "a recv of 0 bytes on a TCP connection with nothing to read waits for data like any "
        "other; on Linux it returns 0 at the socket's next wake-up (tcp_recvmsg's loop runs "
        "while len > 0), which after our own shutdown(SHUT_WR) is the ACK of our FIN: 0 or "
        "a wait, depending on when one looks, a race like two-waiters",
        "a script stops before a 0-byte recv or recvfrom on a TCP connection with nothing "
        "to read that would wait (blocking, not at end of file), or with a reset pending",
    ),
)

SIMPLIFICATIONS += (
    Simplification(
        "flat-filesystem",
        "the filesystem is one flat namespace: there are no directories, so every "
        "directory a path names exists and a file is created where Linux says ENOENT "
        "(./f, //f and a name below a file, ENOTDIR, are read as Linux reads them)",
        "a script stops before a call on a path whose directory does not exist",
    ),
    Simplification(
        "port-alone",
        "every inet address is this machine: the port alone finds a socket, so binding "
        "one port on 127.0.0.1 and on 127.0.0.2 says EADDRINUSE (Linux allows both), and "
        "a datagram to 127.0.0.2 reaches a socket bound to 127.0.0.1",
        "scripts use 127.0.0.1 only",
    ),
    Simplification(
        "file-holes",
        "a file has no holes: bytes never written read as zeros, but SEEK_HOLE finds "
        "only the end of the file and SEEK_DATA every offset before it (a filesystem "
        "that keeps holes reports whole blocks of them)",
        "a script stops before SEEK_DATA or SEEK_HOLE on a file of more than 4096 bytes",
    ),
)

SIMPLIFICATIONS += (
    Simplification(
        "no-clock",
        "the simulator has no clock: poll with a positive timeout waits as with -1 "
        "(a timeout of 0 returns at once)",
        "the harness polls with 0 or -1 only",
    ),
)

# None known: the 16 that TCP and UDP scripts found are fixed in the simulator. A new one
# goes here, with a script in tests/fidelity/test_inet.py SHOWN_BY.
DIVERGENCES: tuple[Simplification, ...] = ()

EXCLUSIONS = SIMPLIFICATIONS + DIVERGENCES
