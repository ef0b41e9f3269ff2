"""``--sim``: the same command line run in the simulated kernel, as a walkthrough.

The plan is the one the real shell makes (``plan.pipe_actions``, ``plan.redirect_actions``);
here a simulated shell program carries it out: ``pipe``, ``fork``, in each child ``dup2``,
``close`` and ``open`` in the planned order, then ``exec``. The simulator runs no real
programs, so each is stood in for: ``echo``, ``true``, ``false``, ``exit`` as themselves;
a program that reads a pipe or a redirected stdin by one that copies stdin to stdout; any
other by ``echo`` of its command line. Builtins run in children too (``cd`` and ``export``
have nothing to change in the simulation); ``$(...)`` expands to nothing.
"""

from __future__ import annotations

import contextlib
import os

from iochannels.model import Walkthrough
from iochannels.render import render_walkthrough
from iochannels.shell.builtins import echo_text
from iochannels.shell.expand import Context, expand_heredoc, expand_one, expand_words
from iochannels.shell.parse import parse_all
from iochannels.shell.plan import Action, pipe_actions, redirect_actions
from iochannels.shell.syntax import AndOr, Background, Exec, Group, List, Pipeline, Subshell
from iochannels.sim import Kernel, Proc, Program

__all__ = ["simulate", "walkthrough"]

_CTX = Context(os.environ.get, lambda text: "")


async def _copy(p: Proc) -> int:
    while data := await p.read(0, 4096):
        await p.write(1, data)
    return 0


def _stand_in(argv: list[str], reads_input: bool) -> Program:
    name = os.path.basename(argv[0])

    async def echo(p: Proc) -> int:
        await p.write(1, echo_text(argv[1:]).encode())
        return 0

    async def status(p: Proc) -> int:
        if name == "exit":
            return int(argv[1]) & 0xFF if len(argv) > 1 and argv[1].isdigit() else 0
        return 1 if name == "false" else 0

    async def announce(p: Proc) -> int:
        await p.write(1, (" ".join(argv) + "\n").encode())
        return 0

    if name == "echo":
        return echo
    if name in ("true", "false", ":", "exit", "cd", "export", "wait", "pwd"):
        return status
    return _copy if reads_input else announce


async def _apply(p: Proc, action: Action) -> None:
    match action.kind:
        case "dup2" if action.source != action.fd:
            await p.dup2(action.source, action.fd)
        case "inherit":
            pass  # the simulated shell's pipes are not close-on-exec: the end stays as it is
        case "close":
            with contextlib.suppress(OSError):  # `n>&-` on a closed fd is no error
                await p.close(action.fd)
        case "open":
            mode = {os.O_RDONLY: "r", os.O_WRONLY: "w", os.O_RDWR: "rw"}[action.flags & 3]
            fd = await p.open(action.path, mode, create=bool(action.flags & os.O_CREAT),
                              truncate=bool(action.flags & os.O_TRUNC),
                              append=bool(action.flags & os.O_APPEND))
            if fd != action.fd:
                await p.dup2(fd, action.fd)
                await p.close(fd)
        case "heredoc":
            r, w = await p.pipe()
            await p.write(w, action.body.encode())
            await p.close(w)
            await p.dup2(r, action.fd)
            await p.close(r)


def _redirects(cmd: Exec | Subshell | Group) -> list[Action]:
    found = []
    for r in cmd.redirects:
        if r.body is not None:
            found.append((r.fd, r.op, r.body if r.quoted else expand_heredoc(r.body, _CTX)))
        else:
            found.append((r.fd, r.op, expand_one(r.target, _CTX)))
    return redirect_actions(found)


def _child(cmd: Exec | Subshell | Group, actions: list[Action], reads_input: bool) -> Program:
    async def child(p: Proc) -> int:
        try:
            for action in actions:
                await _apply(p, action)
        except OSError as exc:
            await p.write(2, f"iochannels shell: {exc.strerror}\n".encode())
            return 2
        match cmd:
            case Exec(words=words):
                argv = expand_words(words, _CTX)
                if argv:
                    reads = reads_input or any(a.fd == 0 for a in actions)
                    await p.exec(_stand_in(argv, reads), tuple(argv))
                return 0
            case Subshell(body) | Group(body):
                return await _run_list(p, body)
        return 0
    return child


async def _run_pipeline(p: Proc, pipeline: Pipeline) -> int:
    pids = []
    prev: int | None = None
    for i, cmd in enumerate(pipeline.commands):
        nxt = await p.pipe() if i < len(pipeline.commands) - 1 else None
        actions = pipe_actions(prev, nxt[0] if nxt else None, nxt[1] if nxt else None)
        actions += _redirects(cmd)
        name = expand_words(cmd.words, _CTX)[:1] if isinstance(cmd, Exec) else []
        pids.append(await p.fork(_child(cmd, actions, i > 0), name=(name or ["sh"])[0]))
        if prev is not None:
            await p.close(prev)
        if nxt:
            await p.close(nxt[1])
            prev = nxt[0]
    status = 0
    for pid in pids:
        _, got = await p.wait(pid)
        status = got if isinstance(got, int) else 128 + 13 if got == "SIGPIPE" else 128
    return int(not status) if pipeline.bang else status


async def _run_and_or(p: Proc, job: AndOr) -> int:
    status = await _run_pipeline(p, job.first)
    for op, pipeline in job.rest:
        if (op == "&&") == (status == 0):
            status = await _run_pipeline(p, pipeline)
    return status


async def _run_list(p: Proc, body: List) -> int:
    status = 0
    for item in body.items:
        # A background job runs to its end before the next command in the simulation: the
        # simulator's scheduler interleaves processes, not a shell's job table.
        status = await _run_and_or(p, item.job if isinstance(item, Background) else item)
    return status


def walkthrough(line: str, seed: int = 0) -> Walkthrough:
    """The command line as a simulated run: every call and the fd tables after it."""
    body = parse_all(line)

    async def shell(p: Proc) -> int:
        return await _run_list(p, body)

    kernel = Kernel(seed=seed)
    kernel.spawn(shell, name="sh", argv=("sh", "-c", line))
    run = kernel.run(max_steps=20_000)
    return run.walkthrough(f"iochannels shell --sim -c {line!r}",
                           "The shell's plan of fd actions, carried out in the simulated "
                           "kernel; programs stood in for (see iochannels shell --help).")


def simulate(line: str, fmt: str) -> str:
    """``--sim``: the walkthrough of ``line`` drawn in ``fmt`` (html: the stepper)."""
    return render_walkthrough(walkthrough(line), fmt)
