"""Run a syntax tree: fork, apply the planned fd actions in the child, execve, wait4.

The shape of xv6's ``runcmd`` with CPython subprocess's care: the parent expands the words,
finds the program on PATH and plans every stage's fd actions; each child applies its plan in
a fixed order (pipe ends, then redirections as written) and calls ``execve``. A failed exec
is reported over a close-on-exec pipe (end of file means the exec happened). Statuses are
sh's: the last stage's, 126 not executable, 127 not found, 128+N killed by signal N.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import NoReturn

from iochannels.render.names import shown
from iochannels.shell import fdops
from iochannels.shell.builtins import BUILTINS, SPECIAL, ShellExit2
from iochannels.shell.errors import ShellError, ShellExit, ShellSyntaxError
from iochannels.shell.expand import Context, expand_heredoc, expand_one, expand_words
from iochannels.shell.parse import commands
from iochannels.shell.plan import Action, Stage, find_program, pipe_actions, redirect_actions
from iochannels.shell.state import ShellState
from iochannels.shell.syntax import (
    AndOr,
    Background,
    Command,
    Exec,
    Group,
    List,
    Pipeline,
    Redirect,
    Subshell,
    Word,
)
from iochannels.shell.trace import Tracer, c_string, status_text, string_array

__all__ = ["Runner"]

# Signals a child must get back to their default before exec: Python ignores SIGPIPE and
# SIGXFSZ, and an ignored signal stays ignored across execve (signal(7)); `yes | head -1`
# must end `yes` by SIGPIPE, quietly.
_Thunk = Callable[[], int]

_RESET = (signal.SIGPIPE, signal.SIGXFSZ, signal.SIGINT, signal.SIGQUIT)


@dataclass
class _Launch:
    """The parent's handles on the children of one pipeline."""

    pids: list[int] = field(default_factory=list)
    errpipes: list[int | None] = field(default_factory=list)


class Runner:
    def __init__(self, state: ShellState) -> None:
        self.state = state
        self.tracer = Tracer(state.options.trace_fd)
        self.ctx = Context(self.lookup, self.substitute, lambda: self.state.positional[1:])

    # -- reporting -------------------------------------------------------------------
    def error(self, message: str) -> None:
        line = self.state.line + self.state.lines_before
        # The message names things from outside (paths, programs): data, not terminal control.
        text = f"{self.state.options.name}: {line}: {shown(message)}\n"
        with contextlib.suppress(OSError):
            os.write(2, text.encode("utf-8", "surrogateescape"))

    # -- expansion's view of the shell ---------------------------------------------------
    def lookup(self, name: str) -> str | None:
        st = self.state
        match name:
            case "?":
                return str(st.status)
            case "$":
                return str(st.shell_pid)
            case "!":
                return "" if st.last_background is None else str(st.last_background)
            case "#":
                return str(max(len(st.positional) - 1, 0))
            case "@" | "*":
                return " ".join(st.positional[1:])
            case "-":
                return "i" if st.options.interactive else ""
        if name.isdigit():
            k = int(name)
            return st.positional[k] if k < len(st.positional) else None
        return st.variables.get(name)

    def substitute(self, text: str) -> str:
        """``$(text)``: a child runs it with stdout into a pipe; the output, minus its
        trailing newlines (XCU 2.6.3); ``$?`` becomes the child's status."""
        r, w = fdops.traced_pipe(self.tracer)
        pids: list[int] = []
        try:
            if self.fork(pids) == 0:
                self.child_signals(background=False)
                fdops.apply([Action("dup2", 1, w), Action("close", w), Action("close", r)],
                            self.tracer)
                self.child_exit(lambda: self.run_source(text))
            fdops.traced_close(w, self.tracer)
            chunks = []
            while chunk := os.read(r, 65536):
                chunks.append(chunk)
            fdops.traced_close(r, self.tracer)
            self.state.status = self.wait(pids[0])
        except KeyboardInterrupt:
            # Ctrl-C reached the child too: wait for it before the shell goes (run_stages)
            for pid in pids:
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, 0)
            raise
        return b"".join(chunks).decode("utf-8", "surrogateescape").rstrip("\n")

    # -- the tree ----------------------------------------------------------------------
    def run_source(self, text: str) -> int:
        """Parse and run each complete command of ``text`` in turn, as sh reads a script."""
        try:
            for body in commands(text):
                self.run_list(body)
        except ShellSyntaxError as exc:
            self.state.line = exc.line or self.state.line
            self.error(f"Syntax error: {exc.message}")
            self.state.status = self.fatal(2)
        except ShellError as exc:
            # An expansion error (`${x!}`: Bad substitution) in a builtin's words: XCU
            # 2.8.1, it ends a non-interactive shell with 2, as dash; interactive, a status.
            self.error(str(exc))
            self.state.status = self.fatal(2)
        return self.state.status

    def run_list(self, body: List) -> int:
        for item in body.items:
            match item:
                case Background(job):
                    self.run_background(job)
                case AndOr():
                    self.run_and_or(item)
        return self.state.status

    def run_and_or(self, job: AndOr) -> int:
        status = self.run_pipeline(job.first)
        for op, pipeline in job.rest:
            if (op == "&&") == (status == 0):
                status = self.run_pipeline(pipeline)
        return status

    def run_pipeline(self, pipeline: Pipeline) -> int:
        first = pipeline.commands[0]
        if isinstance(first, Exec):
            self.state.line = first.line
        status: int | None = None
        if len(pipeline.commands) == 1:
            status = self.run_in_shell(first)
        if status is None:
            try:
                stages = [self.prepare(cmd) for cmd in pipeline.commands]
            except ShellError as exc:
                self.error(str(exc))
                stages, status = [], 2
            if stages:
                status = self.run_stages(stages)
        assert status is not None
        if pipeline.bang:
            status = int(status == 0)
        self.state.status = status
        return status

    def run_background(self, job: AndOr) -> None:
        pid = self.fork()
        if pid == 0:
            self.child_signals(background=True)
            if not self.state.options.interactive:
                # XCU 2.9.3: without job control an asynchronous list reads /dev/null.
                fdops.apply([Action("open", 0, path=os.devnull, flags=os.O_RDONLY)],
                            self.tracer)
            self.state.jobs, self.state.finished = [], {}
            self.child_exit(lambda: self.run_and_or(job))
        self.state.jobs.append(pid)
        self.state.last_background = pid
        self.state.status = 0

    # -- commands the shell runs itself ------------------------------------------------
    def run_in_shell(self, cmd: Command) -> int | None:
        """A builtin, an assignment or a group, run without a fork; None: needs a child."""
        match cmd:
            case Group(body, redirects):
                return self.with_redirects(redirects, False, lambda: self.run_list(body))
            case Exec(assigns, words, redirects):
                argv = expand_words(words, self.ctx)
                if not argv:
                    for name, word in assigns:
                        self.state.variables[name] = expand_one(word, self.ctx)
                    status = self.state.status if any("$(" in w.raw or "`" in w.raw
                                                      for _, w in assigns) else 0
                    return self.with_redirects(redirects, False, lambda: status)
                if argv[0] in SPECIAL:
                    # XCU 2.14: assignments before a special builtin (`x=1 :`, `x=1 export
                    # y`, `x=1 exec ...`) stay in effect after it, as dash keeps them.
                    for name, word in assigns:
                        self.state.variables[name] = expand_one(word, self.ctx)
                if argv[0] == "exec":
                    return self.exec_builtin(argv, redirects, [n for n, _ in assigns])
                if argv[0] == "wait":
                    return self.with_redirects(redirects, False, lambda: self.wait_builtin(argv))
                if argv[0] in BUILTINS:
                    builtin = BUILTINS[argv[0]]
                    temporary = [] if argv[0] in SPECIAL else assigns
                    with self.assigned_for_one_command(temporary):
                        return self.with_redirects(redirects, argv[0] in SPECIAL,
                                                   lambda: builtin(self.state, argv))
        return None

    @contextmanager
    def assigned_for_one_command(self, assigns: Sequence[tuple[str, Word]]
                                 ) -> Iterator[None]:
        """XCU 2.9.1: assignments before a regular builtin hold for that command only
        (`HOME=/tmp cd` goes to /tmp and leaves HOME as it was)."""
        before = {name: self.state.variables.get(name) for name, _ in assigns}
        for name, word in assigns:
            self.state.variables[name] = expand_one(word, self.ctx)
        try:
            yield
        finally:
            for name, value in before.items():
                if value is None:
                    self.state.variables.pop(name, None)
                else:
                    self.state.variables[name] = value

    def with_redirects(self, redirects: tuple[Redirect, ...], special: bool,
                       body: _Thunk) -> int:
        try:
            actions = self.plan_redirects(redirects)
        except ShellError as exc:
            self.error(str(exc))
            return 2
        saved = fdops.save(actions)
        try:
            writers = fdops.apply(actions, self.tracer)
            status = body()
            for pid in writers:
                os.waitpid(pid, 0)
            return status
        except ShellExit2 as exc:
            self.error(str(exc))
            raise ShellExit(2) from None
        except ShellError as exc:
            self.error(str(exc))
            status = 2 if "I/O error" not in str(exc) else 1
            return self.fatal(status) if special else status
        finally:
            fdops.restore(saved)

    def exec_builtin(self, argv: list[str], redirects: tuple[Redirect, ...],
                     assigned: list[str] | None = None) -> int:
        """``exec`` with only redirections changes the shell's own fds; with a command it
        becomes that program (no fork)."""
        try:
            fdops.apply(self.plan_redirects(redirects), self.tracer)
        except ShellError as exc:
            self.error(str(exc))
            return self.fatal(2)
        if len(argv) == 1:
            return 0
        path, err = find_program(argv[1], self.state.variables.get("PATH", ""))
        extra = {n: self.state.variables[n] for n in assigned or ()}
        err = self.execve(path or argv[1], argv[1:], self.state.environment(extra), err,
                          prefix="exec: ")
        return self.fatal(126 if err == errno.EACCES else 127)

    def fatal(self, status: int) -> int:
        """XCU 2.8.1: an error that ends a non-interactive shell; interactive, a status."""
        if self.state.options.interactive:
            return status
        raise ShellExit(status)

    def reap_jobs(self) -> None:
        """Interactive, before each prompt: background jobs that have ended are waited for
        now (dash does, to report them), not left zombies until a ``wait`` that may never
        come; their statuses are kept for a later ``wait PID``."""
        for pid in list(self.state.jobs):
            try:
                done, status, _ = os.wait4(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                self.tracer.call("wait4", (pid, status_text(status), "WNOHANG", "NULL"), pid)
                self.state.jobs.remove(pid)
                self.state.finished[pid] = _exit_status(status)

    def wait_builtin(self, argv: list[str]) -> int:
        if len(argv) == 1:
            for pid in self.state.jobs:
                self.wait(pid)
            self.state.jobs = []
            self.state.finished.clear()
            return 0
        status = 0
        for arg in argv[1:]:
            pid = int(arg) if arg.isdigit() else -1
            if pid in self.state.finished:
                status = self.state.finished.pop(pid)
                continue
            if pid not in self.state.jobs:
                status = 127
                continue
            self.state.jobs.remove(pid)
            status = self.wait(pid)
        return status

    # -- planning in the parent ----------------------------------------------------------
    def plan_redirects(self, redirects: tuple[Redirect, ...]) -> list[Action]:
        expanded = []
        for r in redirects:
            if r.body is not None:
                text = r.body if r.quoted else expand_heredoc(r.body, self.ctx)
                expanded.append((r.fd, r.op, text))
            else:
                expanded.append((r.fd, r.op, expand_one(r.target, self.ctx)))
        return redirect_actions(expanded)

    def prepare(self, cmd: Command) -> Stage:
        match cmd:
            case Exec(assigns, words, redirects):
                argv = tuple(expand_words(words, self.ctx))
                values = tuple((n, expand_one(w, self.ctx)) for n, w in assigns)
                actions = tuple(self.plan_redirects(redirects))
                stage = Stage(cmd, argv, values, actions)
                if stage.external:
                    path, err = find_program(argv[0], self.state.variables.get("PATH", ""))
                    stage = Stage(cmd, argv, values, actions, path, err)
                return stage
            case Subshell(_, redirects) | Group(_, redirects):
                return Stage(cmd, actions=tuple(self.plan_redirects(redirects)))
        raise AssertionError(cmd)

    # -- processes -----------------------------------------------------------------------
    def fork(self, record: list[int] | None = None) -> int:
        """fork(2) with SIGINT blocked across it: a Ctrl-C that comes before the child has
        put SIGINT back to its default waits (pending) instead of being lost to the
        shell's SIG_IGN; the child unblocks it in ``child_signals`` and stops.

        ``record``: the parent notes the child's pid there while SIGINT is still blocked.
        A Ctrl-C pending across the fork is raised the moment the parent unblocks it; the
        pid must already be among those the interrupted shell waits for, or the child is
        left a zombie."""
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        pid = os.fork()
        if pid:
            if record is not None:
                record.append(pid)
            self.tracer.call("fork", (), pid)
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
        return pid

    def run_stages(self, stages: list[Stage]) -> int:
        launch = _Launch()
        with self.ignoring_interrupts():
            try:
                return self.launch_and_wait(stages, launch)
            except KeyboardInterrupt:
                # Ctrl-C reached the whole foreground process group: the stages are ending
                # too. Wait for them before the shell goes, or they stay zombies under
                # whatever adopts them (not every container's pid 1 reaps).
                for pid in launch.pids:
                    with contextlib.suppress(ChildProcessError):
                        os.waitpid(pid, 0)
                raise

    def launch_and_wait(self, stages: list[Stage], launch: _Launch) -> int:
        draw = self.state.options.draw
        ready = fdops.private_pipe() if draw else None
        go = fdops.private_pipe() if draw else None
        prev: int | None = None
        for i, stage in enumerate(stages):
            nxt = fdops.traced_pipe(self.tracer) if i < len(stages) - 1 else None
            errpipe = fdops.private_pipe() if stage.external else None
            plan = pipe_actions(prev, nxt[0] if nxt else None, nxt[1] if nxt else None)
            pid = self.fork(launch.pids)
            if pid == 0:
                self.child(stage, plan, errpipe[1] if errpipe else -1, ready, go)
            if errpipe:
                os.close(errpipe[1])
            launch.errpipes.append(errpipe[0] if errpipe else None)
            if prev is not None:
                fdops.traced_close(prev, self.tracer)
            if nxt:
                fdops.traced_close(nxt[1], self.tracer)
                prev = nxt[0]
        drawn = True
        if draw and ready and go:
            drawn = self.draw_and_release(launch, stages, ready, go)
        for pid, stage, errfd in zip(launch.pids, stages, launch.errpipes, strict=True):
            if errfd is not None:
                failed = os.read(errfd, 16)
                os.close(errfd)
                if not failed:
                    self.tracer.call("execve", (c_string(stage.path), string_array(stage.argv),
                                                f"[/* {len(self.state.environment())} vars */]"),
                                     0, pid=pid)
        statuses = [self.wait(pid) for pid in launch.pids]
        self.report_signals(statuses)
        if not drawn:
            return self.fatal(1)
        return statuses[-1]

    def draw_and_release(self, launch: _Launch, stages: list[Stage],
                         ready: tuple[int, int], go: tuple[int, int]) -> bool:
        """Every child stops before exec: wait until each says it is ready (or gone), let
        the drawing look at their real fd tables, then let them go. False: the picture
        could not be written (said once; the children still run and are waited for, and
        no later pipeline is drawn)."""
        os.close(ready[1])
        os.close(go[0])
        while os.read(ready[0], 64):
            pass
        os.close(ready[0])
        try:
            draw = self.state.options.draw
            assert draw is not None
            draw(launch.pids, [list(s.argv) if s.argv else [_kind(s.command)] for s in stages])
        except ShellError as exc:
            self.error(str(exc))
            self.state.options = replace(self.state.options, draw=None)
            return False
        finally:
            os.close(go[1])
        return True

    def child(self, stage: Stage, plan: list[Action], errpipe: int,
              ready: tuple[int, int] | None, go: tuple[int, int] | None) -> NoReturn:
        def body() -> int:
            self.child_signals(background=False)
            fdops.apply(plan, self.tracer)
            writers = fdops.apply(stage.actions, self.tracer,
                                  moves_first=not isinstance(stage.command, Subshell))
            if ready and go:
                os.close(ready[0])
                os.close(go[1])
                os.close(ready[1])  # "ready": end of file for the parent once all are here
                os.read(go[0], 1)  # blocks until the shell has drawn the picture
                os.close(go[0])
            status = self.become(stage, errpipe)
            for pid in writers:
                os.waitpid(pid, 0)
            return status
        self.child_exit(body)

    def become(self, stage: Stage, errpipe: int) -> int:
        match stage.command:
            case Exec():
                if not stage.argv:
                    return 0
                if stage.argv[0] in BUILTINS:
                    return BUILTINS[stage.argv[0]](self.state, list(stage.argv))
                if stage.argv[0] in ("exec", "wait"):
                    return 0 if stage.argv[0] == "wait" else self.exec_builtin(
                        list(stage.argv), ())
                env = self.state.environment(dict(stage.assigns))
                err = self.execve(stage.path or stage.argv[0], list(stage.argv), env,
                                  stage.lookup_error)
                os.write(errpipe, str(err).encode())
                return 126 if err == errno.EACCES else 127
            case Subshell(body) | Group(body):
                return self.run_list(body)
        raise AssertionError(stage.command)

    def execve(self, path: str, argv: list[str], env: dict[str, str], lookup_error: int,
               prefix: str = "") -> int:
        """Become the program; the errno (and sh's message on stderr) when that fails."""
        err = lookup_error
        if not err:
            try:
                os.execve(path, argv, env)
            except OSError as exc:
                err = exc.errno or errno.ENOENT
            self.tracer.call("execve", (c_string(path), string_array(argv),
                                        f"[/* {len(env)} vars */]"),
                             -1, errno.errorcode.get(err, "EIO"))
        if err == errno.ENOEXEC:
            self.state.positional = [path, *argv[1:]]
            raise ShellExit(self.run_script(path))
        reason = {errno.ENOENT: "not found", errno.EACCES: "Permission denied"}
        self.error(f"{prefix}{argv[0]}: {reason.get(err, os.strerror(err))}")
        return err

    def run_script(self, path: str) -> int:
        """A file the kernel cannot exec (no #!) is a shell script (XCU 2.9.1.1)."""
        with open(path, encoding="utf-8", errors="surrogateescape") as fh:
            text = fh.read()
        try:
            return self.run_source(text)
        except ShellExit as exc:
            return exc.status

    def child_signals(self, background: bool) -> None:
        # A forked shell draws nothing of its own: --draw pictures the pipelines the
        # command line runs, each once, from the shell that started them.
        self.state.options = replace(self.state.options, draw=None)
        for sig in _RESET:
            signal.signal(sig, signal.SIG_DFL)
        # Until it execs (which puts a caught signal back to its default, signal(7)), a
        # child is Python running shell code, maybe a subshell with children of its own:
        # ^C must let it wait for them (run_stages) and then die by SIGINT (child_exit),
        # or they are left zombies where pid 1 does not reap.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        if background and not self.state.options.interactive:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # XCU 2.11: async lists ignore ^C
            signal.signal(signal.SIGQUIT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})

    def child_exit(self, body: _Thunk) -> NoReturn:
        """Run ``body`` in a forked child and leave with its status, whatever happens."""
        status = 2
        try:
            status = body()
        except ShellExit as exc:
            status = exc.status
        except KeyboardInterrupt:
            # End as sh's child would have: killed by SIGINT (the parent's $? is 130).
            signal.signal(signal.SIGINT, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGINT)
            status = 128 + signal.SIGINT
        except ShellError as exc:
            self.error(str(exc))
            status = 2
        except BaseException:
            status = 2
        finally:
            os._exit(status)

    def wait(self, pid: int) -> int:
        _, status, _ = os.wait4(pid, 0)
        self.tracer.call("wait4", (pid, status_text(status), 0, "NULL"), pid)
        return _exit_status(status)

    def report_signals(self, statuses: list[int]) -> None:
        """dash names a signal that ended a foreground process, except SIGINT and SIGPIPE;
        after a Ctrl-C an interactive shell ends the ^C line before its prompt."""
        if self.state.options.interactive and 128 + signal.SIGINT in statuses:
            with contextlib.suppress(OSError):
                os.write(2, b"\n")
        for status in statuses:
            if status > 128 and status - 128 not in (signal.SIGINT, signal.SIGPIPE):
                with contextlib.suppress(OSError):
                    os.write(2, f"{signal.strsignal(status - 128)}\n".encode())
                return

    @contextmanager
    def ignoring_interrupts(self) -> Iterator[None]:
        """Interactive: Ctrl-C goes to the foreground children (same process group) and
        stops them; the shell waits on and gives the next prompt."""
        if not self.state.options.interactive:
            yield
            return
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            yield
        finally:
            signal.signal(signal.SIGINT, old)


def _exit_status(status: int) -> int:
    """sh's $? of a wait status: the exit code, or 128+N for a process killed by signal N."""
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) \
        else 128 + os.WTERMSIG(status)


def _kind(cmd: Command) -> str:
    return type(cmd).__name__.lower()
