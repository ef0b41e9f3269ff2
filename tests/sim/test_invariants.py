"""Stateful tests: random call sequences on several processes keep the kernel's invariants.

- every byte written (by a finished write, or so far by a waiting one) is read, still in
  a buffer, or counted as thrown away;
- no fd refers to a released channel; an open file's reference count is the
  number of fds, in all processes, that point to it; a pipe's reader and
  writer counts are the open files on each end.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from iochannels.sim import Blocked, Done, Kernel
from iochannels.sim.files import Chan, OpenFile
from iochannels.sim.pipes import Pipe
from iochannels.sim.sockets import DgramSocket, StreamSocket

FDS = st.integers(0, 12)
SIZES = st.sampled_from([0, 1, 10, 4096, 5000, 65536, 70000])


class KernelMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.k = Kernel(max_files=12, pipe_capacity=65536, socket_buffer=16384)
        self.pids = [self.k.attach()]
        self.waiting: dict[int, str] = {}
        self.written = self.read = 0
        self.channels: dict[str, Chan] = {}

    def _call(self, index: int, name: str, *args: Any) -> None:
        pid = self.pids[index % len(self.pids)]
        if pid in self.waiting or pid not in self.k.procs or not self.k.procs[pid].alive:
            return
        if name == "write" and not self._is_channel(pid, args[0]):
            name = "write to a device"  # the terminal keeps no buffer to count
        outcome = self.k.syscall(pid, name.split()[0], *args)
        if isinstance(outcome, Blocked):
            self.waiting[pid] = name
        else:
            self._count(name, outcome)
        for other, done in self.k.settle():
            self._count(self.waiting.pop(other), done)
        self._collect()

    def _is_channel(self, pid: int, fd: int) -> bool:
        slot = self.k.procs[pid].fds.slots.get(fd)
        return slot is not None and isinstance(slot.file.chan, Pipe | StreamSocket | DgramSocket)

    def _count(self, name: str, outcome: Any) -> None:
        if not isinstance(outcome, Done):
            return
        if name in ("write", "send"):
            self.written += outcome.value
        elif name in ("read", "recv"):
            self.read += len(outcome.value)
        elif name == "fork":
            self.pids.append(outcome.value)

    def _collect(self) -> None:
        for p in self.k.procs.values():
            for _, slot in p.fds:
                self.channels.setdefault(slot.file.chan.id, slot.file.chan)

    @rule(i=st.integers(0, 3), nonblock=st.booleans())
    def pipe(self, i: int, nonblock: bool) -> None:
        self._call(i, "pipe", nonblock, False)

    @rule(i=st.integers(0, 3), kind=st.sampled_from(["stream", "dgram"]))
    def socketpair(self, i: int, kind: str) -> None:
        self._call(i, "socketpair", kind)

    @rule(i=st.integers(0, 3), fd=FDS, new=FDS)
    def dup2(self, i: int, fd: int, new: int) -> None:
        self._call(i, "dup2", fd, new)

    @rule(i=st.integers(0, 3), fd=FDS)
    def dup_or_close(self, i: int, fd: int) -> None:
        self._call(i, "dup" if fd % 2 else "close", fd)

    @rule(i=st.integers(0, 3), fd=FDS, n=SIZES)
    def write(self, i: int, fd: int, n: int) -> None:
        self._call(i, "write", fd, b"w" * n)

    @rule(i=st.integers(0, 3), fd=FDS, n=SIZES)
    def read(self, i: int, fd: int, n: int) -> None:
        self._call(i, "read", fd, n)

    @rule(i=st.integers(0, 3), fd=FDS)
    def nonblock(self, i: int, fd: int) -> None:
        self._call(i, "set_nonblock", fd, True)

    @rule(i=st.integers(0, 3), fd=FDS, how=st.sampled_from(["r", "w", "rw"]))
    def shutdown(self, i: int, fd: int, how: str) -> None:
        self._call(i, "shutdown", fd, how)

    @rule(i=st.integers(0, 3))
    def fork(self, i: int) -> None:
        if len(self.pids) < 4:
            self._call(i, "fork", None, None)

    @rule(i=st.integers(1, 3))
    def exit(self, i: int) -> None:
        if i < len(self.pids):
            self._call(i, "exit", 0)

    @invariant()
    def bytes_are_conserved(self) -> None:
        held = discarded = 0
        for chan in self.channels.values():
            match chan:
                case Pipe():
                    held += chan.ring.used
                case StreamSocket():
                    held += chan.send.used + chan.recv.used
                    discarded += chan.discarded
                case DgramSocket():
                    held += chan.queued
                    discarded += chan.discarded
        in_progress = sum(p.call.progress for p in self.k.procs.values() if p.call is not None)
        assert self.written + in_progress == self.read + held + discarded

    @invariant()
    def reference_counts_match(self) -> None:
        refs: Counter[int] = Counter()
        files: dict[int, OpenFile] = {}
        for p in self.k.procs.values():
            for _, slot in p.fds:
                refs[id(slot.file)] += 1
                files[id(slot.file)] = slot.file
        for key, f in files.items():
            assert f.refs == refs[key]
            assert not getattr(f.chan, "closed", False), "an fd points to a released socket"
        for chan in self.channels.values():
            if isinstance(chan, Pipe):
                ends = [f for f in files.values() if f.chan is chan]
                assert chan.readers == sum(f.readable for f in ends)
                assert chan.writers == sum(f.writable for f in ends)


KernelMachine.TestCase.settings = settings(
    max_examples=150, stateful_step_count=40, deadline=None, derandomize=True)
TestKernelInvariants = KernelMachine.TestCase
