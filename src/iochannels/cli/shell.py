"""`iochannels shell`: a small real shell (fork, pipe, dup2, exec) that shows its work."""

from __future__ import annotations

import argparse
import os

from iochannels.errors import IoChannelsError, UsageError

__all__ = ["register", "run"]

EPILOG = """\
examples:
  iochannels shell -c 'ls -l /proc/self/fd | cat'
  iochannels shell --trace -c 'echo hi 2>&1 >/dev/null | wc -c'
  iochannels shell --draw -c 'sort < in.txt | uniq -c > out.txt'
  iochannels shell --sim --format html -o walk.html -c 'echo hi | cat'
  iochannels shell script.sh ARG...
  iochannels shell                   interactive: line editing and history (readline)

supported: words with '...', "..." and \\ quoting; $NAME ${NAME} ${NAME:-w} $? $$ $!;
  x=1, export; * ? [...]; $(...) and `...`; pipelines; < > >> <> >| n<&m n>&m n<&- n>&-
  (fds 0-9), here-documents << and <<-; ; && || & and newlines; ( ... ) and { ...; };
  builtins cd pwd exit exec export wait true false : echo.
not supported: functions, loops (for, while, until), if and case (conditionals beyond &&
  and ||), job control, aliases, read, set, trap.
exit status: as sh: the last command's; 2 for a syntax error (nothing run).
"""


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "shell", help="a small real shell that shows its forks, pipes, dup2s and execs",
        description="A small POSIX-like shell built on fork, pipe, dup2 and exec. --trace "
        "shows its system calls, --draw the fd tables of a pipeline just before exec, "
        "--sim the same command line in the simulated kernel.",
        epilog=EPILOG,
    )
    parser.add_argument("-c", dest="command", metavar="LINE", help="run LINE and exit")
    parser.add_argument("file", nargs="?", metavar="FILE", help="a script to run")
    parser.add_argument("args", nargs=argparse.REMAINDER, help="the script's $1, $2...")
    parser.add_argument("--trace", action="store_true",
                        help="print pipe2, fork, dup2, close, execve, wait4 as they happen")
    parser.add_argument("--trace-file", metavar="FILE",
                        help="write the trace to FILE instead of stderr")
    parser.add_argument("--draw", action="store_true",
                        help="stop each pipeline's children before exec and draw their fds")
    parser.add_argument("--sim", action="store_true",
                        help="run the command line in the simulated kernel instead")
    parser.add_argument("--format", choices=("text", "svg", "html", "json"), default="text",
                        help="how --draw and --sim draw (default: text)")
    parser.add_argument("-o", "--output", metavar="FILE",
                        help="--draw: the picture to FILE (the next pipeline's to FILE-2...) "
                        "instead of stderr; --sim: the walkthrough to FILE instead of stdout")
    parser.set_defaults(run=run)


def _trace_fd(args: argparse.Namespace) -> int:
    from iochannels.shell.session import private_fd

    if args.trace_file:
        try:
            fd = os.open(args.trace_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC,
                         0o666)
        except OSError as exc:
            raise IoChannelsError(f"cannot write {args.trace_file}: {exc.strerror}") from None
        moved = private_fd(fd)
        os.close(fd)
        return moved
    return private_fd(2) if args.trace else -1


def run(args: argparse.Namespace) -> int:
    from iochannels.shell import run_command_line, run_file
    from iochannels.shell.state import Options

    if args.command is not None and args.file is not None:
        args.args.insert(0, args.file)
        args.file = None
    if args.sim:
        from iochannels.cli.common import emit
        from iochannels.shell.simulate import simulate

        if args.command is None:
            raise UsageError("--sim needs -c LINE")
        if args.draw or args.trace or args.trace_file:
            raise UsageError("--sim shows its own calls and pictures: leave out --draw and "
                             "--trace")
        emit(simulate(args.command, args.format), args.output)
        return 0
    draw = None
    if args.draw:
        from iochannels.shell.draw import drawer

        draw = drawer(args.format, args.output)
    options = Options(interactive=args.command is None and args.file is None,
                      trace_fd=_trace_fd(args), draw=draw)
    if args.command is not None:
        return run_command_line(args.command, options, [options.name, *args.args])
    if args.file is not None:
        try:
            return run_file(args.file, options, args.args)
        except OSError as exc:
            raise UsageError(f"shell: cannot open {args.file}: {exc.strerror}") from None
    from iochannels.shell.interactive import interact

    return int(interact(options))
