# The C part of the scan (_scan.c); see its header for what each call returns.
# workers: 0 lets the call choose (the online CPUs, at most MAX_WORKERS, and one thread
# below the *_THREADS_FROM counts); 1 to MAX_WORKERS asks for that many.

MAX_WORKERS: int
FD_THREADS_FROM: int
PID_THREADS_FROM: int
STAT_THREADS_FROM: int

def fd_table(
    fd_dir: str, info_dir: str | None, skip_own: bool, workers: int = 0, /
) -> list[tuple[int, str, bytes | None]]: ...
def links_scan(
    root: str, pids: list[int], wanted: set[str], workers: int = 0, /
) -> tuple[list[tuple[int, int, str]], list[int]]: ...
def ppids(root: str, workers: int = 0, /) -> dict[int, int]: ...
def threads_started() -> int: ...
