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
  iochannels shell -c 'echo $0 $1' name --x    as sh: the words after LINE are $0, $1...
  iochannels shell script.sh ARG...
  printf 'echo hi\\n' | iochannels shell   commands from stdin: no prompt, as sh
  iochannels shell                   interactive (stdin and stderr a terminal, or -i): line
                                     editing and history (readline)

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
        usage="%(prog)s [options] [-c LINE [NAME [ARG ...]] | FILE [ARG ...]]",
    )
    # As sh(1): -c is a flag and LINE the first word after the options; every word after
    # LINE (or after FILE) is the script's ($0 then $1... for -c, $1... for FILE), even one
    # that looks like an option of ours: `sh -c 'echo $0 $1' a --x` prints "a --x".
    parser.add_argument("-c", dest="command_mode", action="store_true",
                        help="run LINE, the first word after the options, and exit; the "
                        "words after LINE are $0, $1...")
    parser.add_argument("-i", dest="interactive", action="store_true",
                        help="interactive (a prompt, line editing) even when stdin or stderr "
                        "is not a terminal")
    parser.add_argument("words", nargs=argparse.REMAINDER, metavar="LINE | FILE",
                        help="-c's LINE, or a script FILE; then its arguments. Without "
                        "either, the commands come from stdin")
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


def _words(args: argparse.Namespace) -> tuple[str | None, str | None, list[str]]:
    """LINE (with -c) or FILE, and the words after it, as sh takes its operands."""
    words = list(args.words)
    if words[:1] == ["--"]:  # the end of our options: what follows is LINE or FILE
        words = words[1:]
    if args.command_mode:
        if not words:
            raise UsageError("-c needs a command line: -c LINE")
        return words[0], None, words[1:]
    if words:
        return None, words[0], words[1:]
    return None, None, []


def run(args: argparse.Namespace) -> int:
    from iochannels.shell import run_command_line, run_file
    from iochannels.shell.state import Options

    command, script, rest = _words(args)
    if args.sim:
        from iochannels.cli.common import emit
        from iochannels.shell.simulate import simulate

        if command is None:
            raise UsageError("--sim needs -c LINE")
        if args.draw or args.trace or args.trace_file:
            raise UsageError("--sim shows its own calls and pictures: leave out --draw and "
                             "--trace")
        emit(simulate(command, args.format), args.output)
        return 0
    draw = None
    if args.draw:
        from iochannels.shell.draw import drawer

        draw = drawer(args.format, args.output)
    # dash: interactive when the commands come from stdin and stdin and stderr are
    # terminals, or with -i; otherwise stdin is read as a script (no prompt, no readline).
    from_stdin = command is None and script is None
    interactive = from_stdin and (args.interactive or (os.isatty(0) and os.isatty(2)))
    options = Options(interactive=interactive, trace_fd=_trace_fd(args), draw=draw)
    if command is not None:
        # sh -c LINE NAME ARG...: NAME is $0 (the shell's own name without it)
        return run_command_line(command, options, rest or [options.name])
    if script is not None:
        try:
            return run_file(script, options, rest)
        except OSError as exc:
            raise UsageError(f"shell: cannot open {script}: {exc.strerror}") from None
    if not interactive:
        from iochannels.shell.stdin import run_stdin

        return run_stdin(options)
    from iochannels.shell.interactive import interact

    return int(interact(options))
