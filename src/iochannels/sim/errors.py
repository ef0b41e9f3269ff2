"""How a simulated system call fails or waits.

A failing call raises :class:`SimOSError`, an ``OSError`` with the real errno
number, so a program may ``except BrokenPipeError``-style code as it would on
Linux (``exc.errno == errno.EPIPE``) or look at ``exc.name`` ("EPIPE").
A call that cannot finish now raises :class:`WouldBlock` inside the kernel;
the kernel turns it into EAGAIN (O_NONBLOCK) or parks the process on the
named wait channel, xv6's ``sleep(chan)``.
"""

from __future__ import annotations

import errno
import os

__all__ = ["SimOSError", "WouldBlock", "fail"]


class SimOSError(OSError):
    """A system call's error, as Linux gives it: ``errno`` and its ``name``."""

    def __init__(self, code: int, note: str = "") -> None:
        super().__init__(code, os.strerror(code))
        self.note = note

    @property
    def name(self) -> str:
        assert self.errno is not None
        return errno.errorcode[self.errno]

    @classmethod
    def named(cls, name: str, note: str = "") -> SimOSError:
        return cls(getattr(errno, name), note)


def fail(name: str, note: str = "") -> SimOSError:
    """``raise fail("EBADF")``: the error a call returns, by its errno name."""
    return SimOSError.named(name, note)


class WouldBlock(Exception):
    """The call must wait on ``chan`` until it changes; ``what`` says for what, for people.

    ``nonblock`` is O_NONBLOCK on the call's open file now; the kernel keeps the value
    the call first saw (Linux's socket calls take their timeout once, at the start; a
    pipe rechecks O_NONBLOCK on each pass, but is woken only when it can go on). A call
    that would wait on what can never come (a datagram socket shut down for reading)
    names its ``ended`` value: a blocking call returns it, a nonblocking one says EAGAIN.
    """

    def __init__(self, chan: object, what: str = "", nonblock: bool = False,
                 ended: object = None) -> None:
        super().__init__(what)
        self.chan = chan
        self.what = what
        self.nonblock = nonblock
        self.ended = ended
