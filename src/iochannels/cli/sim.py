"""`iochannels sim`: the lecture's scenarios on a simulated kernel: list, run, step."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from iochannels.cli.common import FORMATS, emit
from iochannels.errors import UsageError

if TYPE_CHECKING:
    from iochannels.model import Snapshot, Step, Walkthrough
    from iochannels.sim import SimRun
    from iochannels.sim.scenarios import Prepared

EPILOG = """\
examples:
  iochannels sim list                        the scenarios, by lecture section
  iochannels sim run pipe                    run one: the calls, the fd tables, what to watch
  iochannels sim run tcp-clients --param clients=5
  iochannels sim run two-pipes -p preempt=50 -s 3   let the seed interleave the calls
  iochannels sim run deadlock --trace        only the strace-like lines
  iochannels sim run pipe --format html -o pipe.html
  iochannels sim run examples/hello_pipe.py  a program of your own: async def main(p)
  iochannels sim step pipe                   Enter: next call; q: quit
  iochannels sim step pipe --predict         guess each result before it is shown
  iochannels sim check -n 500                the simulator against real Linux
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "sim", help="step through the lecture's scenarios on a simulated kernel",
        description="Run the lecture's scenarios (or a program of your own) on a simulated "
        "kernel that shows every system call, every fd table and every buffer.",
        epilog=EPILOG,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = actions.add_parser("list", help="the scenarios, by lecture section")
    listing.add_argument("--json", action="store_true", help="as JSON")
    _run_parser(actions)
    _step_parser(actions)
    _check_parser(actions)
    parser.set_defaults(run=run)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("target", metavar="SCENARIO|FILE.py",
                        help="a scenario's name (see 'sim list') or a file defining main(p)")
    parser.add_argument("-s", "--seed", type=int, default=0, help="the scheduler's seed")
    parser.add_argument("-p", "--param", action="append", default=[], metavar="KEY=VALUE",
                        help="a scenario parameter, e.g. clients=5 or pipe_capacity=16")
    parser.add_argument("--max-steps", type=_positive, default=50_000, metavar="N",
                        help="stop after N turns of the scheduler (default: 50,000)")
    parser.add_argument("--time-limit", type=_seconds, default=10.0, metavar="SECONDS",
                        help="stop a program of your own that runs this long without a "
                        "system call (default: 10)")


def _run_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("run", help="run a scenario and show what happened",
                                epilog=EPILOG, description="Run a scenario to its end.")
    _common(parser)
    parser.add_argument("--trace", action="store_true", help="only the strace-like call lines")
    parser.add_argument("--json", action="store_true",
                        help="the run as JSON: statuses, terminal, files, deadlock, steps")
    parser.add_argument("--format", choices=FORMATS, default="text",
                        help="how to draw the walkthrough (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")


def _step_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser("step", help="step through a scenario, one call per Enter",
                                epilog=EPILOG, description="Step through a scenario: Enter "
                                "shows the next call and the fd tables after it; q quits.")
    _common(parser)
    parser.add_argument("--predict", action="store_true",
                        help="show each call first; Enter reveals its result")


def _check_parser(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = actions.add_parser(
        "check", help="run random system-call scripts on the simulator and on Linux; compare",
        description="Generate N random scripts of system calls (pipes, socketpairs, dup/dup2, "
        "close, O_NONBLOCK, reads and writes past capacity, shutdown, fork, FIFOs, UNIX "
        "sockets), run each on the simulated kernel and on real processes, and compare "
        "return values, errno, bytes read and fd tables. Exit status 1 if any differ.",
    )
    parser.add_argument("-n", "--scripts", type=_positive, default=200, metavar="N",
                        help="how many scripts (default: 200)")
    parser.add_argument("-s", "--seed", type=int, default=0, help="the generator's seed")
    parser.add_argument("--json", action="store_true", help="the report as JSON")


def run(args: argparse.Namespace) -> int:
    match args.action:
        case "check":
            return _check(args)
        case "list":
            return _list(args.json)
        case "run":
            return _run(args)
        case "step":
            return _step(args)
    raise UsageError(f"unknown action {args.action!r}")


def _check(args: argparse.Namespace) -> int:
    from iochannels.fidelity import check

    report = check(args.scripts, seed=args.seed)
    if args.json:
        emit(json.dumps({
            "scripts": report.scripts, "steps": report.steps, "agree": report.ok,
            "stopped_by": dict(report.stopped_by), "seconds": round(report.seconds, 3),
            "calls": dict(report.calls),
            "differences": [str(d) for d in report.failures],
        }, indent=2, sort_keys=True))
    else:
        emit("\n\n".join([report.summary(), report.per_call(),
                            *(str(d) for d in report.failures)]))
    return 0 if report.ok else 1


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) == 0:
        raise argparse.ArgumentTypeError(f"not a positive integer: {text!r}")
    return int(text)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < 1e6:  # nan and inf fail too
        raise argparse.ArgumentTypeError(f"not a positive number of seconds: {text!r}")
    return value


def _prepare(args: argparse.Namespace, snapshots: bool = True) -> Prepared:
    from iochannels.sim.scenarios import parse_params, prepare

    return prepare(args.target, args.seed, parse_params(args.param), snapshots)


def _list(as_json: bool) -> int:
    from iochannels.sim.scenarios import SCENARIOS, SECTIONS

    if as_json:
        rows = [{"name": s.name, "section": s.section, "title": s.title, "watch": s.watch,
                 "params": dict(s.defaults)} for s in SCENARIOS]
        emit(json.dumps(rows, indent=2))
        return 0
    width = max(len(s.name) for s in SCENARIOS)
    lines = []
    for number, title in SECTIONS.items():
        lines.append(f"{number}. {title}")
        lines.extend(f"   {s.name:<{width}}  {s.title}" for s in SCENARIOS if s.section == number)
    emit("\n".join(lines))
    return 0


def _run(args: argparse.Namespace) -> int:
    from iochannels.render import render_walkthrough

    if args.json + args.trace + (args.format != "text") > 1:  # each prints another document
        raise UsageError("--json, --trace and --format are alternatives: give one")
    prepared = _prepare(args)  # the trace too: its names come from the pictures
    result = prepared.run(args.max_steps, args.time_limit)
    walkthrough = result.walkthrough(prepared.title, prepared.watch)
    if args.json:
        emit(json.dumps(_report(prepared, result, walkthrough, args.seed), indent=2,
                        sort_keys=True), args.output)
    elif args.trace:
        from iochannels.render.trace import trace_text

        emit(trace_text(walkthrough, result.events), args.output)
    elif args.format == "text":
        emit(_text(prepared, result, walkthrough, args.seed), args.output)
    else:
        emit(render_walkthrough(walkthrough, args.format), args.output)
    return 0


def _report(prepared: Prepared, result: SimRun, walkthrough: Walkthrough,
            seed: int) -> dict[str, Any]:
    from iochannels.render.json import walkthrough_to_dict

    return {
        "scenario": prepared.name, "seed": seed, "params": dict(prepared.params),
        "exit_status": {str(pid): status for pid, status in result.exit_status.items()},
        "terminal": result.terminal.decode(errors="replace"),
        "files": {path: data.decode(errors="replace")
                  for path, data in sorted(prepared.kernel.files.items())},
        "deadlock": None if result.deadlock is None else _deadlock_lines(result),
        "walkthrough": walkthrough_to_dict(walkthrough),
    }


def _echo(prepared: Prepared, seed: int) -> str:
    """The options first, as OSTEP's simulators print them."""
    params = " ".join(f"{k}={v}" for k, v in sorted(prepared.params.items())) or "-"
    return (f"ARG scenario {prepared.name}\nARG seed {seed}\nARG params {params}\n\n"
            f"{prepared.title}\n")


def _text(prepared: Prepared, result: SimRun, walkthrough: Walkthrough, seed: int) -> str:
    from iochannels.render.trace import statuses_text, trace_text

    names = _final_names(walkthrough.steps)
    parts = [_echo(prepared, seed), "calls\n" + trace_text(walkthrough),
             *_moments(walkthrough), statuses_text(result.exit_status, names),
             _terminal(result), _files(prepared)]
    if result.deadlock is not None:
        parts.append("\n".join(_deadlock_lines(result)) + "\n")
    if result.stopped:
        calls = len(result.events)
        parts.append(f"stopped after {calls} call{'s' if calls != 1 else ''}: the programs "
                     "could still run (see --max-steps)\n")
    if prepared.watch:
        parts.append("what to watch\n" + _indent(prepared.watch))
    return "\n".join(p for p in parts if p)


def _open_fds(snap: Snapshot) -> int:
    return sum(len(p.fds) for p in snap.processes)


def _moments(walkthrough: Walkthrough) -> list[str]:
    """The fd tables when the most fds were open, and at the end if any fd is still open."""
    from iochannels.render.trace import call_text, result_text, snapshot_text

    steps = walkthrough.steps
    # Counted per table, not per entry: a run of 1,000 clients has millions of entries.
    busiest = max(range(len(steps)), key=lambda i: _open_fds(steps[i].snapshot))
    event = steps[busiest].event
    head = "at the start" if event is None else (
        f"after call {event.seq}, {call_text(event)}{result_text(event)}: the most fds open")
    parts = [f"{head}\n{snapshot_text(steps[busiest].snapshot)}"]
    last, shown = steps[-1].snapshot, steps[busiest].snapshot
    changed = last.processes != shown.processes or dict(last.channels) != dict(shown.channels)
    if changed and any(True for _ in last.entries()):
        parts.append("at the end\n" + snapshot_text(last))
    return parts


def _final_names(steps: tuple[Step, ...]) -> dict[int, str]:
    names: dict[int, str] = {}
    for step in steps:
        names.update({p.pid: p.name for p in step.snapshot.processes})
    return names


def _terminal(result: SimRun) -> str:
    if not result.terminal:
        return "terminal (/dev/tty): nothing was written\n"
    return "terminal (/dev/tty)\n" + _indent(result.terminal.decode(errors="replace"))


def _files(prepared: Prepared) -> str:
    files = sorted(prepared.kernel.files.items())
    if not files:
        return ""
    rows = [f"  {path}  {len(data)} bytes  {_preview(data)}" for path, data in files]
    return "files\n" + "\n".join(rows) + "\n"


def _preview(data: bytes, limit: int = 40) -> str:
    text = data[:limit].decode(errors="replace")
    return json.dumps(text)[:-1] + ('..."' if len(data) > limit else '"')


def _deadlock_lines(result: SimRun) -> list[str]:
    deadlock = result.deadlock
    assert deadlock is not None
    lines = [f"deadlock: {deadlock.reason}"]
    lines.extend(
        f"  {w.pid:>5} {w.name:<12}  waits in {w.call}({'' if w.fd is None else w.fd})"
        + (f" for {w.waits_for}" if w.waits_for else "")
        for w in deadlock.waiters
    )
    return lines


def _indent(text: str) -> str:
    return "".join(f"  {line}\n" if line else "\n" for line in text.splitlines())


def _step(args: argparse.Namespace) -> int:
    prepared = _prepare(args)
    result = prepared.run(args.max_steps, args.time_limit)
    walkthrough = result.walkthrough(prepared.title, prepared.watch)
    print(_echo(prepared, args.seed), flush=True)
    if prepared.watch:
        print("what to watch\n" + _indent(prepared.watch), flush=True)
    if _page(walkthrough, args.predict):
        print(_summary(result, walkthrough), end="", flush=True)
    return 0


def _summary(result: SimRun, walkthrough: Walkthrough) -> str:
    from iochannels.render.trace import statuses_text

    extra = [_terminal(result)]
    if result.deadlock is not None:
        extra.append("\n".join(_deadlock_lines(result)) + "\n")
    statuses = statuses_text(result.exit_status, _final_names(walkthrough.steps))
    return "\n".join([statuses, *extra])  # spaced as `sim run` prints them


def _page(walkthrough: Walkthrough, predict: bool) -> bool:
    """Show one step per Enter; False when the user quit (q) or input ended early."""
    from iochannels.render.trace import call_line, names_of, resumed_seqs, step_text

    names = names_of(walkthrough.steps)
    resumed = resumed_seqs(walkthrough.events)
    total = len(walkthrough.steps) - 1
    print(step_text(walkthrough.steps[0]), flush=True)
    for number, step in enumerate(walkthrough.steps[1:], start=1):
        event = step.event
        assert event is not None
        name, again = names.get(event.seq, {}).get(event.pid, "?"), event.seq in resumed
        prompt = f"[step {number}/{total}] Enter: next, q: quit "
        if predict:  # OSTEP's -c idea: the question first, the answer on Enter
            question = call_line(event, name, 0, again).lstrip().split("  ", 1)[1]
            prompt = f"[step {number}/{total}] {question} = ?   Enter: reveal, q: quit "
        if not _ask(prompt):
            return False
        print(step_text(step, name, again), flush=True)
    print("end of the run\n", flush=True)
    return True


def _ask(prompt: str) -> bool:
    """Prompt and read one line; False on q or at the end of the input."""
    print(prompt, end="", flush=True)
    try:
        # None: started with stdin closed (`<&-`), which is the end of the input too.
        line = sys.stdin.readline() if sys.stdin is not None else ""
    except KeyboardInterrupt:
        print(flush=True)  # "iochannels: interrupted" on its own line, not after the prompt
        raise
    if not line or sys.stdin is None or not sys.stdin.isatty():
        print(flush=True)  # a terminal echoes the Enter; a pipe does not
    return bool(line) and line.strip().lower() not in ("q", "quit")
