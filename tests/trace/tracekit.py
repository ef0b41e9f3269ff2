"""Small C programs compiled for the trace tests, and the check of a rebuilt table against /proc.

Each program first moves to a process group of its own (setpgid(2)), so that
``CHECK()`` (kill(0, SIGSTOP)) stops every process of the program, and nothing
else: strace stays in the test's group. While all of them are stopped, every call
they made has been printed by strace, and the table rebuilt from the lines must
equal what /proc shows, fd by fd.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from iochannels import live
from iochannels.live.sharing import shared_groups
from iochannels.model import Snapshot, Step

PRELUDE = r"""
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#define CHECK() kill(0, SIGSTOP)
"""

PROGRAMS = {
    # A pipe between parent and child: the child writes, the parent reads to EOF.
    "pipe": r"""
int main(void) {
    setpgid(0, 0);
    CHECK();
    int p[2]; pipe(p);
    pid_t c = fork();
    if (c == 0) { close(p[0]); write(p[1], "hello", 5); CHECK(); close(p[1]); _exit(0); }
    close(p[1]);
    char b[16]; read(p[0], b, sizeof b);
    while (read(p[0], b, sizeof b) > 0) {}
    CHECK();
    waitpid(c, 0, 0);
    return 0;
}""",
    # dup2 redirection: stdout into a file, as 'cmd > out' does; a dup shares the offset.
    "dup2": r"""
int main(int argc, char **argv) {
    setpgid(0, 0);
    int f = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0600);
    int saved = fcntl(1, F_DUPFD_CLOEXEC, 10);
    dup2(f, 1);
    close(f);
    int again = dup(1);
    fcntl(again, F_SETFD, FD_CLOEXEC);
    write(1, "redirected\n", 11);
    CHECK();
    dup2(saved, 1); close(saved); close(again);
    CHECK();
    return 0;
}""",
    # A UNIX stream server with two clients (children), each connected and checked.
    "unix": r"""
int main(int argc, char **argv) {
    setpgid(0, 0);
    int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    strncpy(a.sun_path, argv[1], sizeof a.sun_path - 1);
    bind(l, (struct sockaddr *)&a, sizeof a);
    listen(l, 4);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) {
            close(l);
            int s = socket(AF_UNIX, SOCK_STREAM, 0);
            connect(s, (struct sockaddr *)&a, sizeof a);
            write(s, "hi", 2);
            char b[4]; read(s, b, sizeof b);
            _exit(0);
        }
    }
    int c1 = accept(l, 0, 0), c2 = accept4(l, 0, 0, SOCK_CLOEXEC);
    char b[4]; read(c1, b, 2); read(c2, b, 2);
    CHECK();
    write(c1, "ok", 2); write(c2, "ok", 2);
    waitpid(kids[0], 0, 0); waitpid(kids[1], 0, 0);
    CHECK();
    unlink(argv[1]);
    return 0;
}""",
    # An fd leaked across exec: fd 5 without close-on-exec, fd 6 with it.
    "leak": r"""
int main(int argc, char **argv) {
    setpgid(0, 0);
    int p[2]; pipe(p);
    dup2(p[1], 5);
    int q[2]; pipe2(q, O_CLOEXEC);
    dup2(q[0], 6); fcntl(6, F_SETFD, FD_CLOEXEC);
    close(p[1]);
    CHECK();
    execl("/bin/sh", "sh", "-c", "kill -STOP 0; exit 0", (char *)0);
    return 1;
}""",
    # A shell pipeline, stopped whole twice: while 'sort' and 'uniq -c' run, and at its end.
    "pipeline": r"""
int main(void) {
    setpgid(0, 0);
    execl("/bin/sh", "sh", "-c",
          "printf 'b\\na\\nb\\n' | (kill -STOP 0; sort) | uniq -c >/dev/null 2>&1; kill -STOP 0",
          (char *)0);
    return 1;
}""",
    # A child that forgets to close the write end: it reads until EOF, which never comes.
    "forgets": r"""
int main(void) {
    int p[2]; pipe(p);
    pid_t c = fork();
    if (c == 0) { char b[64]; while (read(p[0], b, sizeof b) > 0) {} _exit(0); }
    close(p[0]); write(p[1], "data\n", 5); close(p[1]);
    waitpid(c, 0, 0);
    return 0;
}""",
    # A writer faster than its reader: the pipe fills (pipe(7): 65,536 bytes) and write waits.
    "full": r"""
int main(void) {
    int p[2]; pipe(p);
    pid_t c = fork();
    if (c == 0) { close(p[1]); pause(); _exit(0); }
    close(p[0]);
    static char big[100000];
    write(p[1], big, sizeof big);
    return 0;
}""",
    # Two processes, each reading from the other first: a cycle.
    "cycle": r"""
int main(void) {
    int a[2], b[2]; pipe(a); pipe(b);
    pid_t c = fork();
    char x[4];
    if (c == 0) { close(a[1]); close(b[0]); read(a[0], x, 1); write(b[1], "y", 1); _exit(0); }
    close(a[0]); close(b[1]);
    read(b[0], x, 1); write(a[1], "x", 1);
    waitpid(c, 0, 0);
    return 0;
}""",
}


def need_tools() -> None:
    for tool in ("strace", "cc"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is not installed (make test installs it where allowed)")


def compile_program(name: str, where: Path) -> str:
    need_tools()
    source = where / f"{name}.c"
    source.write_text(PRELUDE + PROGRAMS[name])
    binary = where / name
    subprocess.run(["cc", "-O0", "-o", str(binary), str(source)], check=True,
                   capture_output=True, timeout=60)
    return str(binary)


@dataclass
class Checker:
    """Called at every step; at each moment every process is stopped, compares with /proc."""

    checked: list[int] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    continued: set[int] = field(default_factory=set)  # sent SIGCONT, not yet seen running

    def __call__(self, step: Step) -> None:
        event = step.event
        self.continued -= {p.pid for p in step.snapshot.processes
                           if not (p.state or "").startswith("stopped")}
        if self.continued:  # the last moment checked is not over yet
            return
        # A process that exits while the others stop completes the moment too.
        if event is None or event.call not in ("--- stopped by", "+++"):
            return
        alive = [p for p in step.snapshot.processes
                 if not (p.state or "").startswith(("exited", "killed"))]
        if not alive or not all((p.state or "").startswith("stopped") for p in alive):
            return  # some process of the group has not stopped yet
        real = live.snapshot([p.pid for p in alive], others=False)
        self.problems += [f"at check {len(self.checked) + 1}: {p}"
                          for p in compare_tables(step.snapshot, real)]
        self.checked.append(len(self.checked) + 1)
        self.continued = {p.pid for p in alive}
        os.killpg(os.getpgid(alive[0].pid), signal.SIGCONT)


def holders(snap: Snapshot, pids: set[int]) -> dict[tuple[int, int], frozenset[tuple[int, int]]]:
    """(pid, fd) -> every (pid, fd) of ``pids`` pointing to the same channel."""
    by_channel: dict[str, set[tuple[int, int]]] = {}
    for proc, entry in snap.entries():
        if proc.pid in pids:
            by_channel.setdefault(entry.channel, set()).add((proc.pid, entry.fd))
    return {end: frozenset(group) for group in by_channel.values() for end in group}


def peers(snap: Snapshot, pids: set[int]) -> dict[tuple[int, int], frozenset[tuple[int, int]]]:
    """(pid, fd) of a socket -> the (pid, fd)s holding its peer."""
    ends = {}
    for proc, entry in snap.entries():
        chan = snap.channels.get(entry.channel)
        if proc.pid in pids and chan is not None and chan.peer:
            ends[(proc.pid, entry.fd)] = frozenset(
                (e.pid, e.fd) for e in snap.ends(chan.peer) if e.pid in pids)
    return ends


def compare_tables(rebuilt: Snapshot, real: Snapshot) -> list[str]:
    """Every difference, fd by fd: the fds, kind, access, close-on-exec, who else holds
    the channel, the peer of a socket, and which fds share one open file description."""
    problems = []
    gone = ("exited", "killed")  # a zombie: no fds, and not asked of /proc
    pids = {p.pid for p in rebuilt.processes if not (p.state or "").startswith(gone)}
    for proc in rebuilt.processes:
        if proc.pid not in pids:
            continue
        other = real.process(proc.pid)
        if other is None:
            problems.append(f"pid {proc.pid} is not in /proc")
            continue
        mine = {e.fd: e for e in proc.fds}
        theirs = {e.fd: e for e in other.fds}
        if set(mine) != set(theirs):
            problems.append(f"pid {proc.pid}: fds {sorted(mine)} rebuilt, {sorted(theirs)} real")
        for fd in sorted(set(mine) & set(theirs)):
            a, b = mine[fd], theirs[fd]
            ka, kb = rebuilt.channels[a.channel].kind, real.channels[b.channel].kind
            if ka != kb:
                problems.append(f"pid {proc.pid} fd {fd}: kind {ka} rebuilt, {kb} real")
            if a.access is not None and a.access != b.access:
                problems.append(f"pid {proc.pid} fd {fd}: access {a.access} rebuilt, "
                                f"{b.access} real")
            if ("cloexec" in a.flags) != ("cloexec" in b.flags):
                problems.append(f"pid {proc.pid} fd {fd}: close-on-exec differs")
    for name, ours, kernel in (("same channel", holders(rebuilt, pids), holders(real, pids)),
                               ("peer", peers(rebuilt, pids), peers(real, pids))):
        for end in sorted(set(ours) | set(kernel)):
            if ours.get(end, frozenset()) != kernel.get(end, frozenset()):
                problems.append(f"{name} of {end}: {sorted(ours.get(end, ()))} rebuilt, "
                                f"{sorted(kernel.get(end, ()))} real")
    shared_ours = {frozenset((p.pid, e.fd) for p, e in rebuilt.entries() if e.open_file == f)
                   for f in {e.open_file for _, e in rebuilt.entries() if e.open_file}}
    shared_real = shared_groups(sorted(pids))
    if shared_ours != shared_real:
        problems.append(f"shared open files: {sorted(map(sorted, shared_ours))} rebuilt, "
                        f"{sorted(map(sorted, shared_real))} real")
    return problems
