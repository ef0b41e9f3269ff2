"""The C reference: ``cref.c``, shipped with the package, compiled on first use.

The binary goes into ``$XDG_CACHE_HOME/iochannels`` (``~/.cache/iochannels``), named by a
hash of the source and the compiler's identity, so a changed source or compiler builds
anew and an unchanged one is built once. With no compiler (none on PATH, or
``IOCHANNELS_NO_CC=1``) there is no reference: ``find_reference`` says why, and the bench
shows the Python figures alone. ``CC`` names another compiler, as make(1) has it.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from iochannels.bench.results import Latency, Throughput
from iochannels.errors import IoChannelsError

__all__ = ["CReference", "find_reference"]

SOURCE = "cref.c"


class CError(IoChannelsError):
    """The C reference failed where it should not have."""


@dataclass(frozen=True, slots=True)
class CReference:
    """A built reference: where it is and what built it."""

    binary: Path
    compiler: str

    def _run(self, args: Sequence[str], timeout: float) -> list[str]:
        proc = subprocess.Popen([str(self.binary), *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
        try:
            out, err = proc.communicate(timeout=timeout)
        except BaseException:  # Ctrl-C or a hang: end it; its child dies with it (prctl)
            proc.kill()
            proc.wait()
            raise
        if proc.returncode != 0:
            raise CError(f"the C reference failed ({' '.join(args[:3])}): "
                         f"{err.strip().splitlines()[-1] if err.strip() else proc.returncode}")
        return out.splitlines()

    def stream(self, kind: str, size: int, count: int, reps: int, *, workdir: Path,
               buffer: int | None, pins: tuple[int, int] | None,
               datagram: bool) -> Throughput:
        args = ["stream", kind, str(size), str(count), str(reps), str(buffer or 0),
                *_pins(pins), str(workdir)]
        return _throughput(kind, "c", size, self._run(args, 300), datagram)

    def memcpy(self, size: int, count: int, reps: int) -> Throughput:
        lines = self._run(["memcpy", str(size), str(count), str(reps)], 300)
        return _throughput("memcpy", "c", size, lines, True)

    def zerocopy(self, mode: str, size: int, count: int, reps: int, *, buffer: int | None,
                 pins: tuple[int, int] | None, workdir: Path) -> Throughput:
        args = [mode, str(size), str(count), str(reps), str(buffer or 0), *_pins(pins),
                str(workdir)]
        return _throughput(mode, "c", size, self._run(args, 300), True)

    def pingpong(self, kind: str, size: int, rounds: int, warmup: int, *, workdir: Path,
                 buffer: int | None, pins: tuple[int, int] | None) -> Latency:
        args = ["pingpong", kind, str(size), str(rounds), str(warmup), str(buffer or 0),
                *_pins(pins), str(workdir)]
        lines = self._run(args, 300)
        samples = tuple(int(line.split()[1]) for line in lines if line.startswith("sample "))
        return Latency(kind, "c", size, samples, sum(line == "lost" for line in lines))


def _pins(pins: tuple[int, int] | None) -> tuple[str, str]:
    return (str(pins[0]), str(pins[1])) if pins else ("-1", "-1")


def _throughput(kind: str, impl: str, size: int, lines: list[str],
                datagram: bool) -> Throughput:
    """From the reference's ``rep SECONDS BYTES SENT RECEIVED`` lines."""
    seconds, received, sent, delivered = [], [], 0, 0
    for line in lines:
        word, took, got, n_sent, n_got = line.split()
        assert word == "rep", line
        seconds.append(float(took))
        received.append(int(got))
        sent += int(n_sent)
        delivered += int(n_got) if datagram else int(got) // size
    if not seconds:
        raise CError(f"the C reference gave no figures for {kind}")
    return Throughput(kind, impl, size, tuple(seconds), tuple(received), sent, delivered)


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(Path.home(), ".cache")
    return Path(base) / "iochannels"


def find_compiler() -> tuple[str | None, str]:
    """The compiler's path, or None and why there is none."""
    if os.environ.get("IOCHANNELS_NO_CC") == "1":
        return None, "IOCHANNELS_NO_CC=1"
    name = os.environ.get("CC") or "cc"
    path = shutil.which(name)
    if path is None:
        return None, f"no C compiler ({name}) on PATH"
    return path, ""


def find_reference() -> tuple[CReference | None, str]:
    """The built reference (building it if needed), or None and the reason."""
    compiler, why = find_compiler()
    if compiler is None:
        return None, why
    source = resources.files("iochannels.bench").joinpath(SOURCE).read_bytes()
    try:
        version = subprocess.run([compiler, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout.splitlines()[:1]
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"{compiler} does not run: {exc}"
    ident = version[0] if version else compiler
    digest = hashlib.sha256(source + ident.encode()).hexdigest()[:16]
    binary = cache_dir() / f"cref-{digest}"
    if binary.exists():
        return CReference(binary, ident), ""
    return _build(compiler, ident, source, binary)


def _build(compiler: str, ident: str, source: bytes,
           binary: Path) -> tuple[CReference | None, str]:
    try:
        binary.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return None, f"cannot make the cache directory {binary.parent}: {exc.strerror}"
    # Built beside its final name and renamed into place (rename(2) is atomic): two
    # benches starting at once never run a half-written binary.
    src = binary.with_name(f"{binary.name}.{os.getpid()}.c")
    tmp = binary.with_name(f"{binary.name}.{os.getpid()}.tmp")
    try:
        src.write_bytes(source)
        done = subprocess.run([compiler, "-O2", "-o", str(tmp), str(src)],
                              capture_output=True, text=True, timeout=120)
        if done.returncode != 0:
            first = (done.stderr.strip().splitlines() or ["?"])[0]
            return None, f"{compiler} could not build the C reference: {first}"
        tmp.rename(binary)
    except (OSError, subprocess.SubprocessError) as exc:
        return None, f"could not build the C reference: {exc}"
    finally:
        for leftover in (src, tmp):
            with contextlib.suppress(FileNotFoundError):
                leftover.unlink()
    return CReference(binary, ident), ""
