"""Run a command under strace(1) and rebuild its fd tables as strace's lines come.

strace writes to a FIFO in a private temporary directory (``-o FIFO``): the
program's own stdout and stderr stay what they were, and strace opens its
output file close-on-exec, so the program does not inherit it. ``-f`` follows
children, ``-yy`` decodes every fd (paths, ``pipe:[N]``, socket addresses),
``-ttt`` stamps each line. When the run is stopped (``--timeout``, Ctrl-C), the
calls still unfinished are where processes wait; then every process our strace
traces (``TracerPid`` in ``/proc/PID/status``, proc(5)) is killed, so none is left
behind, and the temporary directory goes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from iochannels.errors import IoChannelsError, NotFound
from iochannels.model import Snapshot, Step, Walkthrough
from iochannels.trace.rebuild import Rebuild

__all__ = ["STRACE_ARGS", "StraceMissing", "Traced", "strace_command", "trace"]

STRACE_ARGS = ("-f", "-yy", "-ttt", "-s", "32")
INSTALL_HINT = "install it with 'apt-get install strace' (or 'dnf install strace')"


class StraceMissing(IoChannelsError):
    pass


def strace_command(output: str, command: Sequence[str]) -> list[str]:
    strace = shutil.which("strace")
    if strace is None:
        raise StraceMissing(f"strace is not installed: {INSTALL_HINT}")
    return [strace, *STRACE_ARGS, "-o", output, "--", *command]


@dataclass
class Traced:
    """What a run gave: the walkthrough, how it ended, and the program's exit status."""

    walkthrough: Walkthrough
    status: int | None
    stopped: str = ""  # "timeout", "interrupted", or "" when the program ended
    root: int | None = None


FirstTable = Callable[[int], Snapshot | None]


def trace(command: Sequence[str], *, timeout: float | None = None, all_calls: bool = False,
          first_table: FirstTable | None = None, on_step: Callable[[Step], None] | None = None,
          title: str = "") -> Traced:
    """Run ``command`` under strace; ``first_table(pid)`` reads a process's table from
    ``/proc`` (the caller's reader: ``trace`` reads no process itself). It is asked for
    this process's own table: strace is started with fds 0, 1 and 2 alone
    (``close_fds``) and passes them on to the program untouched, so those three are
    the table the program starts with. strace itself moves its own 0 and 1 away after
    the fork, which is why its table is not the one to read."""
    runner = _Runner(command, all_calls, first_table, on_step)
    return runner.run(timeout, title or " ".join(command))


class _Runner:
    def __init__(self, command: Sequence[str], all_calls: bool, first_table: FirstTable | None,
                 on_step: Callable[[Step], None] | None) -> None:
        if not command:
            from iochannels.errors import UsageError

            raise UsageError("no command to trace (give it after --)")
        self.command = list(command)
        self.all_calls = all_calls
        self.first_table = first_table
        self.on_step = on_step
        self.rebuild: Rebuild | None = None
        self.proc: subprocess.Popen[bytes] | None = None

    def run(self, timeout: float | None, title: str) -> Traced:
        self.first = _first(self.first_table(os.getpid()) if self.first_table else None,
                            self.command)
        preflight()
        if shutil.which(self.command[0]) is None:  # strace would say so in its own words
            raise NotFound(f"no program {self.command[0]!r} to run (not found, or not "
                           "executable)")
        tmp = tempfile.mkdtemp(prefix="iochannels-trace-")
        fifo = os.path.join(tmp, "strace.out")
        stopped = ""
        try:
            os.mkfifo(fifo, 0o600)
            reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            _widen(reader)
            try:
                argv = strace_command(fifo, self.command)
                self.proc = subprocess.Popen(argv, close_fds=True)
                try:
                    with _ctrl_c_noted() as pressed:
                        stopped = self._read(reader, fifo, timeout, pressed)
                finally:
                    if stopped or self.proc.poll() is None:
                        self._stop()
            finally:
                os.close(reader)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        return self._result(stopped, title)

    def _read(self, reader: int, fifo: str, timeout: float | None, pressed: list[bool]) -> str:
        assert self.proc is not None
        deadline = None if timeout is None else time.monotonic() + timeout
        pending = b""
        poller = select.poll()
        poller.register(reader, select.POLLIN)
        while True:
            wait = 0.2 if deadline is None else max(min(deadline - time.monotonic(), 0.2), 0)
            events = poller.poll(wait * 1000)
            chunk = b""
            if events:
                chunk = _read_some(reader)
            if chunk:
                pending = self._lines(pending + chunk, fifo)
                if len(chunk) < _BATCH:
                    # strace writes each line by itself: reading as each comes woke us (and
                    # took a core from strace and its tracee) once a line, 40,000 times for
                    # a 1,000-process script. A pause lets lines gather: one read, many lines.
                    time.sleep(_PAUSE)
            elif self.proc.poll() is not None:
                # strace is gone and the FIFO is empty: the end (a last line without newline too)
                pending = self._lines(pending + _read_some(reader), fifo)
                if pending:
                    self._feed(pending.decode("utf-8", "surrogateescape"))
                return "interrupted" if pressed else ""
            if pressed:
                self._unfinished(pending)
                return "interrupted"
            if deadline is not None and time.monotonic() >= deadline:
                self._unfinished(pending)
                return "timeout"

    def _lines(self, data: bytes, fifo: str) -> bytes:
        *lines, rest = data.split(b"\n")
        for line in lines:
            self._feed(line.decode("utf-8", "surrogateescape"), fifo)
        return rest

    def _feed(self, line: str, fifo: str = "") -> None:
        if self.rebuild is None:
            assert self.proc is not None
            self.rebuild = Rebuild(self.first, all_calls=self.all_calls)
        step = self.rebuild.feed(line)
        if step is not None and self.on_step is not None:
            self.on_step(step)

    def _unfinished(self, pending: bytes) -> None:
        """strace prints a call that blocks up to its arguments, and ends the line only when
        it returns or another process prints: such a half line is an unfinished call."""
        text = pending.decode("utf-8", "surrogateescape").rstrip()
        if text and self.rebuild is not None:
            self.rebuild.feed(text + " <unfinished ...>")

    def _stop(self) -> None:
        """Kill every process our strace traces, then strace: nothing is left behind."""
        if self.proc is None:
            return
        if self.rebuild is not None:
            self.rebuild.finish()
        known = self._known()
        for _ in range(200):  # strace ends by itself once its last tracee is gone
            for pid in _tracees(self.proc.pid) | known:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            try:
                self.proc.wait(timeout=0.01)
                break
            except subprocess.TimeoutExpired:
                continue
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.proc.wait(timeout=5)
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def _known(self) -> set[int]:
        """The processes of the trace not yet ended, still in our session: a tracee strace
        let go of (TracerPid 0 then) is found this way."""
        if self.rebuild is None:
            return set()
        session = os.getsid(0)
        found = set()
        for pid, proc in self.rebuild.state.procs.items():
            if proc.exited:
                continue
            try:
                if os.getsid(pid) == session and _state(pid) not in ("Z", "X", ""):
                    found.add(pid)
            except OSError:
                continue
        return found

    def _result(self, stopped: str, title: str) -> Traced:
        assert self.proc is not None
        if self.rebuild is None:
            raise IoChannelsError(f"strace traced nothing (status {self.proc.returncode}); "
                                  "its own message is above")
        run = self.rebuild.walkthrough(title)
        if stopped:
            what = "the time limit" if stopped == "timeout" else "Ctrl-C"
            run = Walkthrough(run.title, run.steps, run.description,
                              (*run.notes, f"stopped by {what}: the traced processes were "
                               "killed; the steps show what was recorded until then"))
        root = next((p.pid for p in run.steps[0].snapshot.processes), None) if run.steps else None
        status = None if stopped else self.proc.returncode
        return Traced(run, status, stopped, root)


@contextlib.contextmanager
def _ctrl_c_noted() -> Iterator[list[bool]]:
    """While strace runs, Ctrl-C is noted, not raised: the reading loop stops at its next
    turn and what was recorded is drawn, wherever the signal fell. strace itself blocks
    SIGINT (strace(1) -I: 3 with -o FILE); the program gets it from the terminal."""
    pressed: list[bool] = []
    if threading.current_thread() is not threading.main_thread():
        yield pressed
        return
    previous = signal.signal(signal.SIGINT, lambda *_: pressed.append(True))
    try:
        yield pressed
    finally:
        signal.signal(signal.SIGINT, previous)


def _first(snap: Snapshot | None, command: list[str]) -> Snapshot | None:
    """Our own table as the program's first: fds 0, 1, 2, named after the program."""
    if snap is None or not snap.processes:
        return None
    proc = snap.processes[0]
    fds = tuple(e for e in proc.fds if e.fd in (0, 1, 2))
    named = replace(proc, name=os.path.basename(command[0])[:15], argv=tuple(command), fds=fds)
    used = {e.channel for e in fds}
    return replace(snap, processes=(named,),
                   channels={k: v for k, v in snap.channels.items() if k in used})


_BATCH = 1 << 15  # a read this full means lines are waiting: read again at once
_PAUSE = 0.01  # seconds; a call reaches the steps at most this much later


def _widen(fd: int) -> None:
    """The FIFO's buffer as large as an unprivileged process may make it (fcntl(2)
    F_SETPIPE_SZ, up to /proc/sys/fs/pipe-max-size: 1 MiB by default), so that strace
    need not wait for us while lines gather (pipe(7): a writer blocks on a full pipe)."""
    try:
        with open("/proc/sys/fs/pipe-max-size") as fh:
            size = int(fh.read())
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
    except (OSError, ValueError):
        pass  # the default 64 KiB: slower to read, never wrong


def _read_some(fd: int) -> bytes:
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return b""


def _state(pid: int) -> str:
    """The state letter of /proc/PID/stat (proc(5)), "" when gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return fh.read().rsplit(b")", 1)[1].split()[0].decode()
    except (OSError, IndexError):
        return ""


def _tracees(tracer: int) -> set[int]:
    """The processes whose TracerPid is ``tracer`` (proc(5): /proc/PID/status)."""
    found = set()
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                for line in fh:
                    if line.startswith(b"TracerPid:"):
                        if int(line.split()[1]) == tracer:
                            found.add(int(name))
                        break
        except (OSError, ValueError):
            continue
    return found


def preflight() -> None:
    """strace there and allowed to trace: tried on true(1), its complaint in one line.

    The program's stderr is the user's (strace writes its own messages there too),
    so the reasons strace cannot work at all are found first, on a program of ours.
    """
    argv = strace_command("/dev/null", ["true"])
    try:
        done = subprocess.run(argv, capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise StraceMissing(f"strace does not run: {exc}") from None
    if done.returncode != 0:
        raise IoChannelsError(_why_no_trace(done.stderr.decode("utf-8", "replace"),
                                            done.returncode))


def _why_no_trace(err: str, status: int | None) -> str:
    """strace's own complaint in one line, with what to do about it."""
    first = next((line for line in err.splitlines() if line.strip()), "")
    if "ptrace" in err.lower() or "Operation not permitted" in err:
        return ("strace may not trace here (ptrace is not allowed: "
                "/proc/sys/kernel/yama/ptrace_scope, or a container without CAP_SYS_PTRACE; "
                "try 'sysctl kernel.yama.ptrace_scope=1' or 'docker run --cap-add=SYS_PTRACE'): "
                + first.removeprefix("strace: "))
    if first:
        return first.removeprefix("strace: ")
    return f"strace ended (status {status}) without tracing anything"


def lines_of(path: str) -> Iterator[str]:
    with open(path, encoding="utf-8", errors="surrogateescape") as fh:
        yield from fh
