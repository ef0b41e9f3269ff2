"""The machine the figures come from, described beside them (as LMbench prints it)."""

from __future__ import annotations

import fcntl
import os
import platform
from pathlib import Path

from iochannels.bench.results import Environment

__all__ = ["describe"]

# proc(5), socket(7), tcp(7), unix(7): the defaults that decide a channel's buffers.
SYSCTLS = (
    "net/core/rmem_default", "net/core/wmem_default", "net/core/rmem_max",
    "net/core/wmem_max", "net/ipv4/tcp_rmem", "net/ipv4/tcp_wmem",
    "net/ipv4/udp_mem", "net/unix/max_dgram_qlen",
)


def _read(path: str) -> str | None:
    try:
        return Path(path).read_text().strip()
    except OSError:
        return None


def _cpu() -> str:
    for line in (_read("/proc/cpuinfo") or "").splitlines():
        if line.startswith("model name") and ":" in line:
            return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def _pipe_size() -> int:
    r, w = os.pipe()
    try:
        return int(fcntl.fcntl(w, fcntl.F_GETPIPE_SZ))  # pipe(7): 16 pages by default
    finally:
        os.close(r)
        os.close(w)


def describe(compiler: str | None) -> Environment:
    max_size = _read("/proc/sys/fs/pipe-max-size")
    defaults = {name.replace("/", "."): value.replace("\t", " ") for name in SYSCTLS
                if (value := _read(f"/proc/sys/{name}")) is not None}
    return Environment(
        cpu=_cpu(),
        cpus=os.cpu_count() or 1,
        kernel=f"{platform.system()} {platform.release()}",
        python=platform.python_version(),
        compiler=compiler,
        pipe_size=_pipe_size(),
        pipe_max_size=int(max_size) if max_size and max_size.isdigit() else None,
        socket_defaults=defaults,
        load=os.getloadavg(),
    )
