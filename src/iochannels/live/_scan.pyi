# The C part of the scan (_scan.c); see its header for what each call returns.
# workers: 0 lets the call choose (the online CPUs, at most MAX_WORKERS, and one thread
# below the *_THREADS_FROM counts); 1 to MAX_WORKERS asks for that many.

SCAN_API: int
MAX_WORKERS: int
FD_THREADS_FROM: int
PID_THREADS_FROM: int
STAT_THREADS_FROM: int
AHEAD_FROM: int

# (pid, errno of the stat or cmdline read or 0, stat, cmdline, fd_table's rows or the
# errno of the fd table's read)
AheadRow = tuple[int, int, bytes | None, bytes | None, list[tuple[int, str, bytes | None]] | int]

class Ahead:
    def __iter__(self) -> Ahead: ...
    def __next__(self) -> AheadRow: ...
    def close(self) -> None: ...

def fd_table(
    fd_dir: str, info_dir: str | None, skip_own: bool, workers: int = 0, /
) -> list[tuple[int, str, bytes | None]]: ...
def links_scan(
    root: str, pids: list[int], wanted: set[str], workers: int = 0, /
) -> tuple[list[tuple[int, int, str]], list[int]]: ...
def ppids(root: str, workers: int = 0, /) -> dict[int, int]: ...
def ahead(root: str, pids: list[int], workers: int = 0, /) -> Ahead: ...
def threads_started() -> int: ...
