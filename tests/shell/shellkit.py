"""Run command lines in dash and in ``iochannels shell``, each in a fresh directory, and
collect what can be compared: stdout, stderr (the shell's name made one), exit status and
the files left.

Our shell runs inside one warm Python process that forks once per command line (the
``_DRIVER`` below): starting an interpreter per line would make the corpus test slow
without testing anything more. Each line still gets a fresh process with only fds 0-2
open, stdin /dev/null, and its own directory, exactly as dash gets.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from iochannels.render.names import shown

DASH = shutil.which("dash")
ENV = {"PATH": "/usr/local/bin:/usr/bin:/bin", "HOME": "/root", "LC_ALL": "C"}

_DRIVER = r"""
import fcntl, json, os, sys
from iochannels.shell import run_command_line
from iochannels.shell.state import Options
cases, show = json.load(sys.stdin)
statuses = []
for line, workdir, out, err in cases:
    pid = os.fork()
    if pid == 0:
        status = 2
        try:
            os.chdir(workdir)
            # fd 0 as dash gets it: subprocess.DEVNULL is /dev/null opened O_RDWR, so
            # `echo a 1<&0` writes there in both shells instead of failing in one.
            for fd, path, flags in ((0, os.devnull, os.O_RDWR),
                                    (1, out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC),
                                    (2, err, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)):
                got = os.open(path, flags, 0o644)
                os.dup2(got, fd)
                os.close(got)
            os.closerange(3, 1024)
            options = Options()
            if show:  # --trace-file and --draw -o, both outside the work directory
                from iochannels.shell.draw import drawer
                trace = os.open(out + ".trace", os.O_WRONLY | os.O_CREAT, 0o644)
                options = Options(trace_fd=fcntl.fcntl(trace, fcntl.F_DUPFD_CLOEXEC, 10),
                                  draw=drawer("json", out + ".draw.json"))
                os.close(trace)
            status = run_command_line(line, options)
        finally:
            os._exit(status)
    _, wstatus = os.waitpid(pid, 0)
    statuses.append(os.waitstatus_to_exitcode(wstatus))
json.dump(statuses, sys.stdout)
"""


@dataclass(frozen=True)
class Result:
    stdout: str
    stderr: str
    status: int
    files: dict[str, str]


def _files(root: Path) -> dict[str, str]:
    found = {}
    for path in sorted(root.rglob("*")):
        rel = str(path.relative_to(root))
        text = "<dir>" if path.is_dir() else path.read_bytes().decode("utf-8", "replace")
        # A file may hold a shell's message (`2>f`): its name made the same, too.
        found[rel] = _normal(_normal(text, "iochannels shell", root), str(DASH), root)
    return found


def _normal(text: str, name: str, work: Path) -> str:
    """The shell's name and the work directory's path made the same for both shells."""
    text = text.replace(f"{name}: ", "SH: ").replace(f"{name.upper()}: ", "SH: ")
    return text.replace(str(work), "WORK")  # (upper: a message through `tr a-z A-Z`)


def hostile_names(line: str) -> list[str]:
    """The single-quoted words of ``line`` that hold control characters or bytes that are
    not UTF-8: dash prints them raw in its messages, ours escaped (lsof's rule)."""
    return [word for word in re.findall(r"'([^']*)'", line) if shown(word) != word]


def _escaped_names(stderr: bytes, line: str) -> str:
    """dash's stderr with the hostile names of ``line`` escaped as ours shows them; any
    other text (a program's own output included) left as it is."""
    text = stderr.decode("utf-8", "surrogateescape")
    for name in hostile_names(line):
        text = text.replace(name, shown(name))
    return text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")


def run_dash(lines: list[str]) -> list[Result]:
    assert DASH is not None
    results = []
    for line in lines:
        with tempfile.TemporaryDirectory(prefix="sh-dash-") as top:
            work = Path(top, "w")
            work.mkdir()
            proc = subprocess.run([DASH, "-c", line], cwd=work, env=ENV, capture_output=True,
                                  stdin=subprocess.DEVNULL, timeout=20)
            results.append(Result(_normal(proc.stdout.decode("utf-8", "replace"), DASH, work),
                                  _normal(_escaped_names(proc.stderr, line), DASH, work),
                                  proc.returncode, _files(work)))
    return results


def run_ours(lines: list[str], show: bool = False) -> list[Result]:
    """Each line in a forked child of one warm process; ``show``: with --trace and --draw,
    whose output goes next to (not into) the work directory."""
    with tempfile.TemporaryDirectory(prefix="sh-ours-") as top:
        cases = []
        for k, line in enumerate(lines):
            work = Path(top, f"w{k}", "w")
            work.mkdir(parents=True)
            cases.append((line, str(work), str(work.parent / "out"), str(work.parent / "err")))
        env = {**ENV, "PYTHONPATH": os.pathsep.join(sys.path)}
        proc = subprocess.run([sys.executable, "-c", _DRIVER], input=json.dumps([cases, show]),
                              capture_output=True, text=True, env=env, timeout=120)
        assert proc.returncode == 0, proc.stderr
        statuses = json.loads(proc.stdout)
        results = []
        for (_, work, out, err), status in zip(cases, statuses, strict=True):
            name = "iochannels shell"
            results.append(Result(_normal(Path(out).read_text("utf-8", "replace"), name,
                                          Path(work)),
                                  _normal(Path(err).read_text("utf-8", "replace"), name,
                                          Path(work)),
                                  status, _files(Path(work))))
        return results


def _unordered(result: Result) -> Result:
    """The output lines as a sorted list: stages of a pipeline write to a shared stdout or
    stderr in whatever order the scheduler runs them, in dash as in ours."""
    return Result("".join(sorted(result.stdout.splitlines(keepends=True))),
                  "".join(sorted(result.stderr.splitlines(keepends=True))),
                  result.status, result.files)


def differences(lines: list[str], ordered: bool = True) -> list[str]:
    """One line per command line whose results differ, saying how."""
    found = []
    for line, ours, theirs in zip(lines, run_ours(lines), run_dash(lines), strict=True):
        if not ordered:
            ours, theirs = _unordered(ours), _unordered(theirs)
        if ours != theirs:
            found.append(f"{line!r}:\n  ours: {ours}\n  dash: {theirs}")
    return found
