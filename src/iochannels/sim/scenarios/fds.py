"""Section 1: file descriptors, the fd table, I/O channels."""

from __future__ import annotations

from iochannels.sim import Kernel, Proc, SimOSError
from iochannels.sim.scenarios.base import Params, Scenario

__all__ = ["SCENARIOS"]


def fd_table(kernel: Kernel, params: Params) -> None:
    async def main(p: Proc) -> int:
        await p.open("notes.txt", "w", create=True)  # 3: a regular file
        await p.pipe()  # 4 and 5: the read end and the write end of one pipe
        await p.socket("unix", "stream")  # 6: a socket
        await p.close(4)
        await p.open("/dev/null", "r")  # 4 again: open(2) returns the lowest free fd
        try:
            while True:  # fill the table: open(2) fails with EMFILE at MAX_FILES
                await p.open("/dev/null", "r")
        except SimOSError as exc:
            assert exc.name == "EMFILE", exc
        return 0

    kernel.spawn(main, name="prog", argv=("prog",))


SCENARIOS = (
    Scenario(
        "fd-table", 1, "The fd table fills from the lowest free fd, up to MAX_FILES",
        "fds 0, 1 and 2 are the terminal before the program runs.\n"
        "open, pipe and socket each take the lowest free slot: 3, then 4 and 5, then 6.\n"
        "After close(4) the next open gets 4 again, not 7.\n"
        "When all max_files slots are taken, open fails with EMFILE.",
        fd_table,
        {"max_files": 10},
    ),
)
