"""``-o FILE`` (and --plot, shell --draw -o) on a disk that cannot take the whole document:
a one-line error, exit status 1, and nothing left behind: no cut file under the name asked
for, no temporary file, and a file that was there before keeps its content. Found by a
trial: `fds --all --format svg -o full/all.svg` left a 64 KiB half SVG.

Two real ways for write(2) to fail half-way: a small tmpfs, full (ENOSPC; mount(8) needs
root, so skipped without it), and RLIMIT_FSIZE (EFBIG, setrlimit(2); Python ignores
SIGXFSZ, so the write fails instead of killing the process).
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SRC = str(ROOT / "src")
PAGE = os.sysconf("SC_PAGE_SIZE")

# Each writes 9 KiB or more (checked below): more than the one page left free.
COMMANDS = {
    "sim html": ["sim", "run", "pipe", "--format", "html", "-o", "{out}"],
    "graph svg": ["graph", str(os.getpid()), "--format", "svg", "-o", "{out}"],
    "bench plot": ["bench", "--load", str(ROOT / "docs" / "bench-quick.json"), "--plot", "{out}"],
    "shell draw": ["shell", "--draw", "-o", "{out}", "--format", "svg", "-c", "true | true"],
}


def iochannels(argv: list[str], out: Path, fsize: int | None = None
               ) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}

    def limit() -> None:
        if fsize is not None:
            resource.setrlimit(resource.RLIMIT_FSIZE, (fsize, fsize))

    return subprocess.run([sys.executable, "-m", "iochannels",
                           *(a.format(out=out) for a in argv)],
                          capture_output=True, text=True, env=env, timeout=120,
                          preexec_fn=limit, stdin=subprocess.DEVNULL)


@pytest.fixture
def full_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 16-page tmpfs holding keep.svg ("old") and a filler: one page left free."""
    where = tmp_path / "full"
    where.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={16 * PAGE}", "tmpfs",
                              str(where)], capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        (where / "keep.svg").write_text("old\n")
        (where / "filler").write_bytes(b"x" * (14 * PAGE))
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_full_disk_leaves_nothing_behind(full_tmpfs: Path, command: list[str]) -> None:
    for name in ("new.svg", "keep.svg"):
        result = iochannels(command, full_tmpfs / name)
        assert result.returncode == 1, result
        assert "No space left on device" in result.stderr
        assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
        assert sorted(os.listdir(full_tmpfs)) == ["filler", "keep.svg"], name
        assert (full_tmpfs / "keep.svg").read_text() == "old\n"


@pytest.mark.parametrize("command", COMMANDS.values(), ids=COMMANDS.keys())
def test_a_file_size_limit_leaves_nothing_behind(tmp_path: Path, command: list[str]) -> None:
    (tmp_path / "keep.svg").write_text("old\n")
    for name in ("new.svg", "keep.svg"):
        result = iochannels(command, tmp_path / name, fsize=PAGE)
        assert result.returncode == 1, result
        assert "File too large" in result.stderr and "Traceback" not in result.stderr
        assert sorted(os.listdir(tmp_path)) == ["keep.svg"], name
        assert (tmp_path / "keep.svg").read_text() == "old\n"
    # Without the limit the same command writes it whole, over the old file too: the
    # failure above came from the size, and the document is larger than the page.
    for name in ("new.svg", "keep.svg"):
        assert iochannels(command, tmp_path / name).returncode == 0
        assert (tmp_path / name).stat().st_size > 2 * PAGE
    assert sorted(os.listdir(tmp_path)) == ["keep.svg", "new.svg"]


def test_a_replaced_file_keeps_its_mode_and_a_link_stays_a_link(tmp_path: Path) -> None:
    keep = tmp_path / "keep.svg"
    keep.write_text("old\n")
    keep.chmod(0o640)
    (tmp_path / "link.svg").symlink_to("keep.svg")
    assert iochannels(COMMANDS["graph svg"], tmp_path / "link.svg").returncode == 0
    assert (tmp_path / "link.svg").is_symlink()
    assert "<svg" in keep.read_text()
    assert keep.stat().st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path)) == ["keep.svg", "link.svg"]


@pytest.mark.parametrize("special", ["/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"])
def test_a_descriptor_link_is_written_in_place(tmp_path: Path, special: str) -> None:
    """`-o /dev/stdout` into a pipe, and into a file the caller opened: the caller's open
    file receives the document; nothing is made beside it, nothing replaced."""
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": SRC, "NO_COLOR": "1"}
    argv = [sys.executable, "-m", "iochannels", "sim", "run", "pipe", "--format", "svg",
            "-o", special]
    piped = subprocess.run(argv, capture_output=True, env=env, timeout=60)
    assert piped.returncode == 0 and piped.stdout.startswith(b"<svg"), piped.stderr
    with out.open("wb") as fh:
        inode = os.fstat(fh.fileno()).st_ino
        assert subprocess.run(argv, stdout=fh, env=env, timeout=60).returncode == 0
    assert out.stat().st_ino == inode and out.read_bytes() == piped.stdout
    assert os.listdir(tmp_path) == ["out"]
