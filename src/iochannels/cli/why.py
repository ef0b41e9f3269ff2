"""`iochannels why PID`: why a blocked process waits, and who could wake it."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from iochannels.cli.common import emit, existing_pids

if TYPE_CHECKING:
    from iochannels.live.waits import Wait

__all__ = ["printable", "register", "run"]

EPILOG = """\
examples:
  iochannels why 1234          the call and fd it waits in, the channel, who holds the
                               other end and in what state, the buffer, the verdict
  iochannels why --tree 1234   the process and its descendants: who holds everyone up
  iochannels why 1234 --json

The call comes from /proc/PID/syscall (proc(5)); reading it needs the same rights
as reading the process's fds (your own processes, or root).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "why", help="why a process waits: the call, the channel, who could wake it",
        description="Explain a blocked process: the call and fd it waits in, the channel "
        "behind the fd, who holds the other end and in what state, how full the buffer "
        "is, and the verdict (end of file at once, a cycle, a full buffer...).",
        epilog=EPILOG,
    )
    parser.add_argument("pid", metavar="PID", help="the process to explain")
    parser.add_argument("--tree", action="store_true",
                        help="also its descendants; the one holding the others up first")
    parser.add_argument("--json", action="store_true", help="as JSON")
    parser.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from iochannels.live.waits import why

    (pid,) = existing_pids([args.pid])
    waits = why(pid, tree=args.tree)
    if args.json:
        emit(json.dumps([_as_dict(w) for w in waits], indent=2), args.output)
    else:
        emit("\n".join(_text(w) for w in waits), args.output)
    # As fds does for a table it may not read: the output says what is known, the exit
    # status and one line on stderr that the answer is not whole.
    for wait in waits:
        if wait.error is not None:
            print(f"iochannels: cannot tell why process {wait.pid} waits: {wait.error}"
                  + (" (run as its owner or as root)" if wait.error == "permission denied"
                     else ""), file=sys.stderr, flush=True)
    return 1 if any(w.error is not None for w in waits) else 0


def _as_dict(wait: Wait) -> dict[str, Any]:
    return {"pid": wait.pid, "name": wait.name, "state": wait.state, "call": wait.call,
            "fd": wait.fd, "channel": wait.channel.id if wait.channel else None,
            # A child waited for by wait4 is a waker without an fd: null, not a made-up -1.
            "wakers": [{"pid": e.pid, "fd": e.fd if e.fd >= 0 else None} for e in wait.wakers],
            "facts": list(wait.lines), "verdict": wait.verdict, "error": wait.error}


def printable(text: str, keep: str = "") -> str:
    r"""Names from the outside are data: control bytes shown as lsof does, ``\x1b``.

    >>> printable("a\x1b[31mb\nc")
    'a\\x1b[31mb\\nc'
    """
    out = []
    for ch in text:
        if ch in keep:
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF:
            out.append(ch)
        else:
            out.append(f"\\x{ord(ch) & 0xFF:02x}")
    return "".join(out)


def _text(wait: Wait) -> str:
    lines = [f"{wait.pid} {printable(wait.name)}: {wait.state}"]
    lines += [f"  {printable(line)}" for line in wait.lines]
    lines.append(f"  verdict: {printable(wait.verdict)}")
    return "\n".join(lines) + "\n"
