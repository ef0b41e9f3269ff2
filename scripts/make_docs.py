"""Regenerate the pictures under docs/ from real and simulated runs (`make docs`).

Needs only the installed package. Real pictures come from processes this
script starts itself (a pipeline, a redirection, a TCP connection on loopback)
and ends before it returns; simulated ones from the lecture's scenarios. PNG
copies are made with a headless Chromium when one is installed (Debian's
`chromium` with Python's playwright); without it the SVG and HTML files are
still written and the script says which PNGs it skipped.

    python scripts/make_docs.py [--out docs] [--no-png]
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from iochannels import live
from iochannels.model import Snapshot, Walkthrough
from iochannels.render import (
    fullest,
    render_graph,
    render_sequence,
    render_snapshot,
    render_walkthrough,
)

# A child names itself, moves its stdout away (so the picture shows only what matters),
# says "ready" on the saved copy, and waits to be terminated.
QUIET = """
import os, sys, time
open("/proc/self/comm", "w").write(sys.argv[1])
null = os.open(os.devnull, os.O_RDWR)
say = os.fdopen(os.dup(1), "w")
os.dup2(null, 1)
os.close(null)
"""
READY = """
say.write(f"{READY_VALUE}\\n"); say.close()
time.sleep(120)
"""
SERVER = QUIET + """
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
READY_VALUE = s.getsockname()[1]
""" + READY.replace("time.sleep(120)",
                   "conn, _ = s.accept(); conn.sendall(b'hello'); time.sleep(120)")
CLIENT = QUIET + """
import socket
c = socket.create_connection(("127.0.0.1", int(sys.argv[2])))
c.sendall(b"hi, server")
READY_VALUE = "ready"
""" + READY


@contextlib.contextmanager
def started(argv: list[str], **popen: Any) -> Iterator[subprocess.Popen[str]]:
    """A child with /dev/null for stdin and stderr; terminated and reaped on the way out."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stdin", subprocess.DEVNULL)
    proc = subprocess.Popen(argv, stderr=subprocess.DEVNULL, text=True, **popen)
    try:
        yield proc
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()


def _ready(proc: subprocess.Popen[str]) -> str:
    assert proc.stdout is not None
    return proc.stdout.readline().strip()


def _exec_done(proc: subprocess.Popen[str], name: str) -> None:
    """Wait until the child runs ``name`` (its fd table is then the program's own)."""
    for _ in range(200):
        if live.pids_by_name(name).count(proc.pid):
            return
        time.sleep(0.02)
    raise RuntimeError(f"{name} did not start")


def live_pipeline() -> Snapshot:
    """`sleep 120 | cat > /dev/null`: two programs, one pipe between them."""
    r, w = os.pipe()
    with started(["sleep", "120"], stdout=w) as producer, \
            started(["cat"], stdin=r, stdout=subprocess.DEVNULL) as consumer:
        os.close(r)
        os.close(w)
        _exec_done(producer, "sleep")
        _exec_done(consumer, "cat")
        return live.snapshot([producer.pid, consumer.pid])


def live_redirection(workdir: Path) -> Snapshot:
    """`sleep 120 > out.txt 2>&1`: fd 1 and fd 2 on one file."""
    script = f"exec sleep 120 > {workdir / 'out.txt'} 2>&1"
    with started(["sh", "-c", script], stdout=subprocess.DEVNULL) as proc:
        _exec_done(proc, "sleep")
        return live.snapshot([proc.pid])


def live_tcp() -> Snapshot:
    """A TCP server (listening socket + one connection socket) and its client, on loopback."""
    with started([sys.executable, "-c", SERVER, "server"]) as server:
        port = _ready(server)
        with started([sys.executable, "-c", CLIENT, "client", port]) as client:
            _ready(client)
            time.sleep(0.2)  # the server accepts and answers
            return live.snapshot([server.pid, client.pid])


def simulated(name: str) -> Walkthrough | None:
    """A lecture scenario's walkthrough, or None (saying why) when the simulator is missing."""
    try:
        from iochannels.sim.scenarios import get, run_scenario
    except ImportError as err:
        print(f"skip simulated {name!r}: {err}", file=sys.stderr)
        return None
    scenario = get(name)
    return run_scenario(name).walkthrough(scenario.title, scenario.watch)


def write(out: Path, name: str, text: str) -> Path:
    path = out / name
    path.write_text(text, encoding="utf-8")
    print(f"wrote {path}")
    return path


# (scenario, step (-1: the step with the most fds), file name): the moments worth a picture.
SIM_PICTURES = (
    ("pipe-operator", -1, "sim-pipe-operator"),
    ("stream-vs-block", 4, "sim-stream"),  # 12 bytes wait in a 16-byte pipe
    ("stream-vs-block", 14, "sim-block"),  # a file: area buffer, offset after lseek + write
    ("redirect", 2, "sim-redirect"),  # after dup2(3, 1), before close(3)
)


def pictures(out: Path, workdir: Path) -> list[Path]:
    made = []
    pipe = live_pipeline()
    made.append(write(out, "live-pipeline.svg", render_snapshot(pipe, "svg")))
    redirected = live_redirection(workdir)
    made.append(write(out, "live-redirection.svg", render_snapshot(redirected, "svg")))
    tcp = live_tcp()
    made.append(write(out, "live-tcp.svg", render_snapshot(tcp, "svg")))
    made.append(write(out, "live-tcp-graph.svg", render_graph(tcp, "svg")))
    for name, step, picture in SIM_PICTURES:
        run = simulated(name)
        if run is not None:
            snap = run.steps[min(step, len(run.steps) - 1)].snapshot if step >= 0 \
                else fullest(run)
            made.append(write(out, f"{picture}.svg", render_snapshot(snap, "svg")))
    if (tcp_run := simulated("tcp")) is not None:
        made.append(write(out, "sim-tcp-sequence.svg", render_sequence(tcp_run, "svg")))
        write(out / "readme", "views.md", views_md(pipe, tcp_run))
        made.append(write(out, "sim-tcp-walkthrough.html", render_walkthrough(tcp_run, "html")))
    if (pipe_run := simulated("pipe")) is not None:
        made.append(write(out, "sim-pipe-walkthrough.html", render_walkthrough(pipe_run, "html")))
    return made


VIEWS_MD = """### Pictures: SVG, an HTML walkthrough, Mermaid, DOT, JSON

Every command that draws (`fds`, `graph`, `sim run`) takes `--format
text|svg|html|mermaid|dot|json` and `-o FILE`. All pictures below were made by the tool
itself, from real processes and from the simulator (`make docs` makes them again).

**svg**: each process is a box holding its fd table, one row per fd (fd, access, kind,
channel); an arrow runs from each row to the channel it points to, in the direction the data
flows (into the channel for `w`, out of it for `r`, both ways for `rw`). A channel box shows
its kind, what it is (a path, an address pair, a pipe's inode) and its nature: **stream**
channels (blue boxes) draw their ring buffers as gauges filled to `used / capacity` (`?` where
the kernel does not tell), **block** channels (orange boxes) their area buffer with the file
offsets. A pipe has ONE buffer shared by its two ends; a socket connection is two sockets
linked by a dashed frame, four buffers, send above the peer's recv. Two fds on one channel
(redirection) are two arrows into one box; a run of similar fds (40 libraries, say) collapses
into one row and one box. One colour per kind, explained in the legend.

**Shared open file descriptions** (the middle of the lecture's redirection picture: fd
table, open file, inode). Where `dup`, `dup2` or `fork` left several fds pointing to ONE open
file description (one offset, one set of status flags; open(2)), each of their rows wears
the same red letter, a bracket outside the box joins those of one process, and a caption
under the diagram lists them (`(a) 1234 fd 1, 2 · /tmp/out.txt · offset 0`); two `open`s of
one file are two letters. DOT and Mermaid draw a node `open file (a)` between the fds and
the channel; the text table has an OFD column. `fds` finds them with kcmp(2) `KCMP_FILE`,
`trace` from the calls it saw. Where no fd shares, the views are what they were.

`sleep 120 | cat`, live (`iochannels fds PID PID --format svg -o pipe.svg`):

![a live pipeline](docs/live-pipeline.svg)

`sleep 120 > out.txt 2>&1`, live: fd 1 and fd 2 point to one file
([svg](docs/live-redirection.svg)):

![a live redirection](docs/live-redirection.png)

A TCP server and its client on loopback, live: the listening socket, the connection's two
sockets and their four buffers ([svg](docs/live-tcp.svg); who talks to whom:
[graph svg](docs/live-tcp-graph.svg)):

![a live TCP connection](docs/live-tcp.png)

Simulated: the `|` operator after the `dup2`s ([svg](docs/sim-pipe-operator.svg)); stream vs
block: 12 bytes waiting in a 16-byte pipe ([svg](docs/sim-stream.svg)) and a file's area buffer
with its offset ([svg](docs/sim-block.svg)); redirection after `dup2(3, 1)`, two fds on one
file ([svg](docs/sim-redirect.svg)).

![stream: a pipe's ring buffer](docs/sim-stream.png) ![block: a file](docs/sim-block.png)

**html**: one self-contained file (no network: styles, script and every step's SVG inline)
that steps through a run: the diagram, the event list beside it with the current call
highlighted, previous/next buttons, the arrow keys (Home, End), a slider, and each step's
caption. A single snapshot is a page of one step. Open
[the pipe walkthrough](docs/sim-pipe-walkthrough.html) or
[the TCP walkthrough](docs/sim-tcp-walkthrough.html)
(`iochannels sim run tcp --format html -o tcp.html`):

![the TCP walkthrough](docs/sim-tcp-walkthrough.png)

**The socket sequence** (lecture section 5), read from a run's system calls: server and
clients as lifelines; socket, bind, listen, accept (blocking, in orange), connect, the new
connection socket, send and recv (arrows to the process at the other end), close, with the
lecture's phases on the left. `iochannels sim run tcp --format svg` draws it for any run with
socket calls ([svg](docs/sim-tcp-sequence.svg)):

![the socket sequence of a TCP run](docs/sim-tcp-sequence.png)

**mermaid**: a flowchart of a snapshot (a subgraph per process, a node per channel), and for
a run with socket calls a `sequenceDiagram`. GitHub draws these blocks. The live pipeline:

```mermaid
{pipe_mermaid}```

The TCP run's sequence:

```mermaid
{tcp_mermaid}```

**dot**: Graphviz text for those who have it (`dot -Tsvg`); each process is an HTML-like
table with a port per fd row. The package itself needs no Graphviz: the SVG is drawn by
the package. The live pipeline:

```dot
{pipe_dot}```

**json**: stable and documented: `schemas/snapshot.schema.json` (fds, graph) and
`schemas/walkthrough.schema.json` (sim run) are JSON Schemas (draft 2020-12) that the tests
validate every output against. Keys are sorted; the same input gives the same bytes, in
every format.
"""


def views_md(pipe: Snapshot, tcp_run: Walkthrough) -> str:
    """The README's section on the views, around the pictures just made."""
    return VIEWS_MD.format(pipe_mermaid=render_snapshot(pipe, "mermaid"),
                           tcp_mermaid=render_sequence(tcp_run, "mermaid"),
                           pipe_dot=render_snapshot(pipe, "dot"))


# The moment each walkthrough's picture shows (a link may name a step: page.html#step-N).
STEP_SHOWN = {"sim-tcp-walkthrough.html": "#step-10", "sim-pipe-walkthrough.html": "#step-7"}


def screenshots(paths: list[Path]) -> None:
    """A PNG beside each SVG/HTML, made by headless Chromium; skipped (said) without one."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        chromium = None
    if chromium is None:
        print("skip PNGs: no chromium with playwright on this machine", file=sys.stderr)
        return
    args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with tempfile.TemporaryDirectory(prefix="iochannels-docs-chromium-") as profile, \
            sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            profile, executable_path=chromium, headless=True, args=args,
            viewport={"width": 1600, "height": 1000})
        try:
            page = context.new_page()
            for path in paths:
                page.goto(path.resolve().as_uri() + STEP_SHOWN.get(path.name, ""))
                size = page.evaluate("() => { const s = document.querySelector('svg');"
                                     " return s ? [s.width.baseVal.value, s.height.baseVal.value]"
                                     " : [1600, 1000]; }")
                if path.suffix == ".svg":
                    page.set_viewport_size({"width": int(size[0]), "height": int(size[1])})
                else:
                    page.set_viewport_size({"width": 1600, "height": 1000})
                png = path.with_suffix(".png")
                page.screenshot(path=str(png))
                print(f"wrote {png}")
        finally:
            context.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="docs", help="where to write (default: docs)")
    parser.add_argument("--no-png", action="store_true", help="write SVG and HTML only")
    args = parser.parse_args()
    out = Path(args.out)
    (out / "readme").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="iochannels-docs-") as workdir:
        made = pictures(out, Path(workdir))
    if not args.no_png:
        screenshots(made)
    return 0


if __name__ == "__main__":
    socket.setdefaulttimeout(10)
    sys.exit(main())
