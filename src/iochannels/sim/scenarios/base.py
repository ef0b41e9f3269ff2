"""What a scenario is: a name, a lecture section, what to watch, and how to build it.

A scenario spawns its programs on a fresh :class:`~iochannels.sim.Kernel`; the
kernel runs them. Parameters are small integers or strings with defaults; the
ones named in :data:`KERNEL_OPTIONS` configure the kernel itself (so any
scenario can be run with, say, ``pipe_capacity=16``), the others go to the
scenario's ``build``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from iochannels.errors import UsageError
from iochannels.sim import Kernel

__all__ = ["KERNEL_OPTIONS", "MAX_CLIENTS", "Param", "Params", "Scenario", "check_kernel_options",
           "make_kernel", "parse_params"]

Param = int | str
Params = Mapping[str, Param]

# Keyword options of Kernel(...) that a user may set on any scenario with --param.
# Their defaults are the kernel's own (a Linux-like 1024 fds, 64 KiB pipes and socket buffers).
# ``preempt`` is a percentage: the chance, after any call, that the scheduler hands the CPU
# to another ready process (0: a process runs until it blocks or exits). With it, the seed
# picks the interleaving, and races show: a client may connect before its server listens.
KERNEL_OPTIONS: Mapping[str, int] = {
    "max_files": 1024,
    "pipe_capacity": 65536,
    "socket_buffer": 65536,
    "preempt": 0,
    "max_procs": 1024,
}

Build = Callable[[Kernel, Params], None]

# The clients of the socket scenarios: each is a process, and `sim run`'s report of the
# run (open fds per step, names per step) costs steps x processes, so time and memory grow
# with the square of the clients: 1,000 (the real demo's count) took 5 to 13 s and 0.3 to
# 0.6 GB on the shared 2-core machine, 2,000 took 39 s and 1.9 GB, 100,000 never ended.
MAX_CLIENTS = 1000
LIMIT_WHY = "time and memory grow with its square"


@dataclass(frozen=True, slots=True)
class Scenario:
    """One lecture point as simulated programs.

    ``watch`` is a few lines on what to look at while it runs; ``defaults``
    names every parameter the scenario accepts besides the kernel options; ``limits``
    the largest value of some of them that ``sim run`` and ``sim step`` take.
    """

    name: str
    section: int
    title: str
    watch: str
    build: Build
    defaults: Params = field(default_factory=dict)
    limits: Mapping[str, int] = field(default_factory=dict)

    def params(self, given: Params) -> dict[str, Param]:
        """The defaults, the kernel's and the scenario's, overridden by ``given``."""
        known = {**KERNEL_OPTIONS, **self.defaults}
        unknown = sorted(set(given) - set(known))
        if unknown:
            raise UsageError(
                f"scenario {self.name} has no parameter {unknown[0]!r} "
                f"(it knows: {', '.join(sorted(known))})"
            )
        full = {**known, **{k: _coerce(k, v, known[k]) for k, v in given.items()}}
        check_kernel_options({k: int(full[k]) for k in KERNEL_OPTIONS})
        return full

    def check_limits(self, params: Params) -> None:
        """A usage error for a value above its limit: what the command line may ask for."""
        for key, top in self.limits.items():
            if int(params[key]) > top:
                raise UsageError(f"parameter {key} of {self.name} must be {top:,} or less, "
                                 f"not {int(params[key]):,}: {LIMIT_WHY}")

    def kernel(self, seed: int, params: Params, snapshots: bool = True) -> Kernel:
        """A fresh kernel with the kernel options of ``params``, the programs spawned."""
        options = {k: int(params[k]) for k in KERNEL_OPTIONS}
        kernel = make_kernel(seed, options, snapshots)
        self.build(kernel, params)
        return kernel


def make_kernel(seed: int, options: Mapping[str, int], snapshots: bool = True) -> Kernel:
    """A kernel for ``seed`` with the given kernel options; the kernel's defaults for the rest.

    ``snapshots=False`` skips the picture after every call (only the last one is
    taken): much faster for thousands of processes when only the trace is wanted.
    """
    return Kernel(
        seed=seed,
        snapshots=snapshots,
        max_files=options.get("max_files", KERNEL_OPTIONS["max_files"]),
        pipe_capacity=options.get("pipe_capacity", KERNEL_OPTIONS["pipe_capacity"]),
        socket_buffer=options.get("socket_buffer", KERNEL_OPTIONS["socket_buffer"]),
        preempt=min(options.get("preempt", 0), 100) / 100,
        max_procs=options.get("max_procs", KERNEL_OPTIONS["max_procs"]),
    )


def check_kernel_options(options: Mapping[str, int]) -> None:
    """Values the kernel can take: a percentage for ``preempt``, room for fds 0..2."""
    if not 0 <= options.get("preempt", 0) <= 100:
        raise UsageError(f"parameter preempt is a percentage, 0 .. 100, not {options['preempt']}")
    if options.get("max_procs", 1) < 1:
        raise UsageError("parameter max_procs must be 1 or more: the program's own process")
    if options.get("max_files", 3) < 3:
        raise UsageError("parameter max_files must be 3 or more: fds 0, 1, 2 are the terminal")
    for key in ("pipe_capacity", "socket_buffer"):
        if options.get(key, 1) < 1:
            raise UsageError(f"parameter {key} must be 1 or more, not {options[key]}")


def _coerce(name: str, value: Param, default: Param) -> Param:
    """A parameter's value in the type of its default: ``"3"`` -> 3 where 3 is expected."""
    if not isinstance(default, int) or isinstance(value, int):
        return value
    try:
        number = int(value)
    except ValueError:
        raise UsageError(f"parameter {name} must be an integer, not {value!r}") from None
    if number < 0 and name not in KERNEL_OPTIONS:  # those: check_kernel_options says why
        raise UsageError(f"parameter {name} must be 0 or more, not {number}")
    return number


def parse_params(items: list[str] | tuple[str, ...]) -> dict[str, Param]:
    """``["clients=5", "backlog=2"]`` -> ``{"clients": "5", "backlog": "2"}`` (typed later)."""
    params: dict[str, Param] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"--param takes KEY=VALUE, not {item!r}")
        params[key.strip().replace("-", "_")] = value.strip()
    return params
