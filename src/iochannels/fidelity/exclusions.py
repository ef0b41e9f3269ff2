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

__all__ = ["DIVERGENCES", "EXCLUSIONS", "SIMPLIFICATIONS", "SOCKET_BUDGET", "UDP_MAX_PAYLOAD",
           "Simplification"]


@dataclass(frozen=True, slots=True)
class Simplification:
    name: str
    what: str
    kept_out: str


SOCKET_BUDGET = 65536  # payload bytes a script may send on sockets, in all
SOCKET_SENDS = 32  # and in how many calls
UDP_MAX_PAYLOAD = 65507  # udp(7), ip(7): 65,535 less the IP and UDP headers

SIMPLIFICATIONS = (
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
        "a port stays taken after its socket is closed (Linux frees a UDP port at once, a "
        "TCP port when no connection on it is left, TIME_WAIT included)",
        "a script stops before it binds again a port whose socket is closed",
    ),
)

DIVERGENCES = (
    Simplification(
        "tcp-peer-closed",
        "when a TCP peer closes, the simulator fails the next send with EPIPE (unix(7)'s "
        "rule); Linux cannot tell close from shutdown(SHUT_WR): the first send succeeds, "
        "the closed peer answers RST, and only later sends fail",
        "a script stops before a send, write or shutdown on a TCP socket whose peer is "
        "closed (shutdown on a reset connection says ENOTCONN on Linux, 0 in the simulator)",
    ),
    Simplification(
        "listener-close-resets",
        "closing a listening socket (UNIX or TCP) with connections not yet accepted ends "
        "them like a close: their clients read end of file; Linux resets them (af_unix.c "
        "unix_release_sock with embrion set, inet_csk_listen_stop): ECONNRESET",
        "a script stops before a read, recv or send on a client whose connection a closed "
        "listener dropped",
    ),
    Simplification(
        "dgram-shutdown-nonblock",
        "a nonblocking read of a datagram socket (UNIX or UDP) that is shut down for reading "
        "and has nothing queued returns 0 bytes; Linux says EAGAIN (only a blocking read "
        "sees end of file: __skb_wait_for_more_packets looks at RCV_SHUTDOWN, and "
        "unix_dgram_recvmsg turns EAGAIN into 0 for SOCK_SEQPACKET only)",
        "a script stops before a nonblocking read, recv or recvfrom on an empty datagram "
        "socket shut down for reading",
    ),
    Simplification(
        "tcp-zero-recv",
        "a read or recv of 0 bytes on a TCP connection with nothing to read waits for data "
        "like any other; on Linux, after our own shutdown(SHUT_WR), it returns 0 at once "
        "(likely because tcp_recvmsg ends at the socket's first wake-up, the ACK of our "
        "FIN, as its loop runs while len > 0)",
        "a script stops before a 0-byte read, recv or recvfrom on a TCP connection with "
        "nothing to read (Linux also answered 0 where a reset was pending and the "
        "simulator says ECONNRESET)",
    ),
    Simplification(
        "tcp-closed-port",
        "a TCP connection that is over keeps its port; on Linux one that was reset (RST), "
        "or whose two directions were both shut down (FINs both ways: TIME_WAIT), goes back "
        "to CLOSE and gives its port up, so bind on it succeeds",
        "a script stops before a bind on a TCP connection whose peer is closed or whose two "
        "directions are shut down",
    ),
    Simplification(
        "nonblock-after-wait",
        "a waiting call that is woken looks at O_NONBLOCK again: if another process set it "
        "meanwhile on the shared open file, the call fails with EAGAIN (listen wakes a "
        "waiting accept so, too); Linux decides at the call's start whether it may wait",
        "a script stops before O_NONBLOCK is set on an open file that a waiting call "
        "waits on",
    ),
    Simplification(
        "tcp-shut-rd",
        "shutdown(SHUT_RD) on TCP also forbids the peer to send (unix(7)'s rule); on Linux "
        "it only changes the reading side: the peer's sends still succeed",
        "a script stops before a TCP shutdown with SHUT_RD",
    ),
    Simplification(
        "tcp-unconnected-send",
        "a send on a TCP socket that is not connected (new, or listening) fails with "
        "ENOTCONN; Linux says EPIPE (sk_stream_wait_connect)",
        "a script stops before a send, write or sendto on an unconnected TCP socket",
    ),
    Simplification(
        "tcp-connect-order",
        "connect on a TCP socket looks at the address and the listener first, then at the "
        "socket's own state (af_unix.c's order): ECONNREFUSED or EINVAL where Linux "
        "(inet_stream_connect) says EISCONN for a connected or listening socket",
        "a script stops before a connect on a listening TCP socket, or on a connected one "
        "unless it would go to a listener with room (the simulator says EISCONN then)",
    ),
    Simplification(
        "inet-shutdown-unconnected",
        "shutdown on a UDP socket that is not connected returns 0, and one on an "
        "unconnected TCP socket fails with ENOTCONN and changes nothing; Linux fails both "
        "with ENOTCONN but still marks the socket shut down (inet_shutdown), so a later "
        "recv on the TCP socket reads end of file instead of ENOTCONN",
        "a script stops before a shutdown on an unconnected TCP or UDP socket",
    ),
    Simplification(
        "udp-refused",
        "a datagram to a port nobody binds is lost silently; Linux answers it with an ICMP "
        "port unreachable that a connected UDP socket reports as ECONNREFUSED on its next "
        "call (udp(7))",
        "a script stops before a connected UDP socket sends to a port with no socket",
    ),
    Simplification(
        "udp-connected-filter",
        "a connected UDP socket takes datagrams from anyone; Linux delivers to it only "
        "those from the address it is connected to",
        "a script stops before a datagram goes to a connected UDP socket from another "
        "address",
    ),
    Simplification(
        "tcp-shutdown-listener",
        "shutdown on a listening TCP socket fails with ENOTCONN; Linux returns 0 (and, with "
        "SHUT_RD, stops the listener)",
        "a script stops before a shutdown on a listening TCP socket",
    ),
    Simplification(
        "address-family",
        "a UNIX path given to an inet socket's bind, connect or sendto fails with EINVAL; "
        "Linux says EAFNOSUPPORT (or, for connect, EISCONN first when connected); and an "
        "inet address to a UNIX datagram socket shut down for writing fails with EPIPE, "
        "where Linux looks at the address first (EINVAL)",
        "a script stops before a path-addressed call on an inet socket, and before an "
        "inet-addressed sendto on a UNIX datagram socket shut down for writing",
    ),
    Simplification(
        "udp-autobind",
        "a send on an unbound UDP socket with no destination fails with EDESTADDRREQ and "
        "leaves it unbound; Linux binds it to a port first (inet_send_prepare), so a later "
        "bind fails with EINVAL",
        "a script stops before a send or write on an unbound, unconnected UDP socket",
    ),
    Simplification(
        "udp-datagram-size",
        f"a UDP datagram may be as large as the socket buffer; Linux refuses one of more "
        f"than {UDP_MAX_PAYLOAD} bytes with EMSGSIZE (and one of more than 65,535 before "
        f"it looks for a destination)",
        f"a script stops before a send on a UDP socket of more than {UDP_MAX_PAYLOAD} bytes",
    ),
)

EXCLUSIONS = SIMPLIFICATIONS + DIVERGENCES
