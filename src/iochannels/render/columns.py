"""What the fd table's columns hold: the TYPE word of a kind, and the one legend of them all.

The legend is the single text that ``iochannels fds --help`` prints and the README quotes
(a test holds both to it): every form a cell can take is said once, here.
"""

from __future__ import annotations

import textwrap

from iochannels.model import Kind, Nature

__all__ = ["LEGEND", "OTHER_END_FORMS", "nature_word", "type_word"]

# Sockets that keep message boundaries: a read takes one datagram (socket(2): SOCK_DGRAM,
# SOCK_SEQPACKET, SOCK_RAW; netlink(7) is datagram-oriented). Their buffers are still the
# lecture's ring buffers, so they are stream channels; the word says how they are read.
_MESSAGES = {Kind.UDP: "dgram", Kind.RAW: "dgram", Kind.NETLINK: "dgram",
             Kind.UNIX_DGRAM: "dgram", Kind.UNIX_SEQPACKET: "seqpacket"}


def type_word(kind: Kind, none: str = "-") -> str:
    """The TYPE of a kind: ``stream``, ``dgram``, ``seqpacket``, ``block``, or ``none`` for
    what is not a data channel (the table writes ``-``, a picture ``none``).

    >>> [type_word(k) for k in (Kind.PIPE, Kind.TCP, Kind.UDP, Kind.FILE, Kind.ANON)]
    ['stream', 'stream', 'dgram', 'block', '-']
    """
    if kind in _MESSAGES:
        return _MESSAGES[kind]
    return none if kind.nature is Nature.NONE else str(kind.nature)


def nature_word(kind: Kind) -> str:
    """The word a picture puts beside a kind: its TYPE, ``none`` for no data channel."""
    return type_word(kind, "none")


# The forms of the OTHER END cell, each with what it means (text.other_end writes them).
OTHER_END_FORMS = (
    ("1240 cat fd0", "the process and fd holding the other end: a pipe's reader for a write "
                     "end, its writer for a read end; a socket's peer"),
    ("... +2", "two more holders (after fork, every process holding it)"),
    ("(blank)", "not a channel between processes: a file, a device, an unconnected socket"),
    ("-", "nobody else: a listener with no client waiting for accept(2), a FIFO opened "
          "for reading and writing that no other fd holds"),
    ("no reader, no writer", "nobody holds the other end, and every fd table was read: a "
                             "write would fail with EPIPE, a read returns end of file "
                             "(pipe(7))"),
    ("socket:[N]", "a peer socket that no process in view holds (its inode, as in "
                   "/proc/PID/fd); 127.0.0.1:PORT when only its address is known"),
    ("... (queued)", "a TCP connection waiting in a listener's accept queue: the listener's "
                     "holder (accept(2) has not given it an fd yet)"),
    ("? (denied)", "not found, and some fd tables could not be read: the other end may be "
                   "there"),
)

LEGEND = "\n".join([
    "columns: FD; ACC (r, w, rw); KIND; TYPE: stream (a ring buffer of bytes), dgram or",
    "seqpacket (ring buffers of messages: each read takes one), block (an area buffer and an",
    "offset), - (not a data channel); WHAT it is (a path, an address, an id; a socket's state",
    "first); OTHER END; BUFFER (bytes waiting/capacity of a pipe or FIFO; r(ecv) and s(end)",
    "queues of a socket; queued/backlog of a listener; ? (denied) where the kernel would not",
    "tell). Names are shown as lsof shows them: \\n, \\t, \\x1b for control characters, \\xff",
    "for a byte that is not UTF-8 (--format json gives them exactly).",
    "OFD (shown where some fds share one): a letter per open file description that several",
    "fds share (dup(2), dup2(2), fork(2): one offset, one set of status flags; kcmp(2)",
    "KCMP_FILE tells), listed under the tables.",
    "OTHER END:",
    *(textwrap.fill(meaning, 88, initial_indent=f"  {form:<22}", subsequent_indent=" " * 24)
      for form, meaning in OTHER_END_FORMS),
])
