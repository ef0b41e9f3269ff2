"""The simulated kernel: the lecture's fd tables, ring buffers and blocking, executable.

Programs are ``async def`` functions that await system calls on their process::

    from iochannels.sim import Kernel, Proc

    async def main(p: Proc) -> int:
        r, w = await p.pipe()
        await p.write(w, b"hi")
        print(await p.read(r, 10))   # b"hi"
        return 0

    k = Kernel(seed=0)
    k.spawn(main, name="prog")
    run = k.run()            # run.events, run.steps, run.exit_status, run.deadlock

See ``docs/readme/sim-kernel.md`` for the calls, the scheduling, the fidelity
harness that checks the kernel against Linux, and its deliberate simplifications.
"""

from iochannels.sim.errors import SimOSError
from iochannels.sim.kernel import Kernel
from iochannels.sim.outcome import Blocked, Done, Failed, Outcome
from iochannels.sim.proc import Proc, Program
from iochannels.sim.run import Deadlock, SimRun, Waiter
from iochannels.sim.sockets import Addr

__all__ = [
    "Addr",
    "Blocked",
    "Deadlock",
    "Done",
    "Failed",
    "Kernel",
    "Outcome",
    "Proc",
    "Program",
    "SimOSError",
    "SimRun",
    "Waiter",
]
