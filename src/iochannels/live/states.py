"""A process's state for people: "sleeping", "zombie", "blocked in read(3)".

proc(5) gives the one-letter state in /proc/pid/stat and, while a process
sleeps in a system call, its number and arguments in /proc/pid/syscall. The
numbers are the x86_64 ones (arch/x86/entry/syscalls/syscall_64.tbl); on other
machines the call is not named.
"""

from __future__ import annotations

import os

__all__ = ["describe_state"]

_LETTERS = {
    "R": "running",
    "S": "sleeping",
    "D": "disk sleep",
    "Z": "zombie",
    "T": "stopped",
    "t": "traced",
    "X": "dead",
    "I": "idle",
    "P": "parked",
}

# Calls whose first argument is the fd they wait on, and a few that wait on no fd.
_FD_CALLS = {
    0: "read",
    1: "write",
    17: "pread64",
    18: "pwrite64",
    19: "readv",
    20: "writev",
    42: "connect",
    43: "accept",
    44: "sendto",
    45: "recvfrom",
    46: "sendmsg",
    47: "recvmsg",
    232: "epoll_wait",
    281: "epoll_pwait",
    288: "accept4",
    441: "epoll_pwait2",
}
_OTHER_CALLS = {
    2: "open",
    7: "poll",
    23: "select",
    34: "pause",
    35: "nanosleep",
    61: "wait4",
    202: "futex",
    230: "clock_nanosleep",
    257: "openat",
    270: "pselect6",
    271: "ppoll",
    247: "waitid",
}
_X86_64 = os.uname().machine == "x86_64"


def describe_state(letter: str, call: tuple[int, int] | None) -> str:
    """The state letter and, if known, the call the process is blocked in.

    >>> describe_state("S", (0, 3)), describe_state("Z", None), describe_state("S", (61, 9))
    ('blocked in read(3)', 'zombie', 'blocked in wait4()')
    """
    if letter in "SD" and call is not None and _X86_64:
        number, first = call
        if number in _FD_CALLS:
            return f"blocked in {_FD_CALLS[number]}({first})"
        if number in _OTHER_CALLS:
            return f"blocked in {_OTHER_CALLS[number]}()"
    return _LETTERS.get(letter, letter)
