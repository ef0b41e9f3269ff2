"""The open file descriptions several fds share, as every view names them: a, b, c...

open(2) makes an open file description (the offset, the status flags); dup(2),
dup2(2), fcntl F_DUPFD and fork(2) make another fd pointing to the SAME one (the
middle of the lecture's redirection picture: fd table -> open file -> inode). The
model names such a description on each fd that shares it (``FdEntry.open_file``,
found with kcmp(KCMP_FILE) by live, by the calls by trace); the views draw one mark
per description, a letter in order of first appearance, so the text table, the SVG,
DOT and Mermaid agree. A snapshot where no fd shares has no mark at all, and every
view draws it as it did before.
"""

from __future__ import annotations

from dataclasses import dataclass

from iochannels.model import Snapshot

__all__ = ["SharedFile", "letter", "marks", "shared_files"]


@dataclass(frozen=True, slots=True)
class SharedFile:
    """One open file description held by two fds or more."""

    mark: str  # "a", "b"... "z", "aa"...
    name: str  # the model's FdEntry.open_file
    holders: tuple[tuple[int, tuple[int, ...]], ...]  # (pid, its fds), in snapshot order
    channel: str  # the channel of its first fd (all of them point to one)
    offset: int | None  # the one offset they share (fdinfo pos), where known

    @property
    def ends(self) -> frozenset[tuple[int, int]]:
        return frozenset((pid, fd) for pid, fds in self.holders for fd in fds)

    def holders_text(self) -> str:
        """``1234 fd 1, 2; 1240 fd 1``."""
        return "; ".join(f"{pid} fd {', '.join(map(str, fds))}" for pid, fds in self.holders)


def letter(n: int) -> str:
    """The n-th mark: a..z, then aa, ab...

    >>> [letter(i) for i in (0, 1, 25, 26, 27, 52)]
    ['a', 'b', 'z', 'aa', 'ab', 'ba']
    """
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(ord("a") + rest) + out
    return out


def shared_files(snap: Snapshot) -> tuple[SharedFile, ...]:
    """Every open file description held by two fds or more, marked in order of first
    appearance (processes as listed, fds in table order). Empty where none is shared."""
    found: dict[str, dict[int, list[int]]] = {}
    first: dict[str, tuple[str, int | None]] = {}
    for proc, entry in snap.entries():
        if entry.open_file is None:
            continue
        found.setdefault(entry.open_file, {}).setdefault(proc.pid, []).append(entry.fd)
        first.setdefault(entry.open_file, (entry.channel, entry.offset))
    shared = [(name, holders) for name, holders in found.items()
              if sum(len(fds) for fds in holders.values()) > 1]  # one fd alone shares nothing
    return tuple(
        SharedFile(letter(n), name, tuple((pid, tuple(fds)) for pid, fds in holders.items()),
                   *first[name])
        for n, (name, holders) in enumerate(shared))


def marks(snap: Snapshot) -> dict[tuple[int, int], str]:
    """(pid, fd) -> the mark of the open file description it shares; absent if none."""
    return {end: shared.mark for shared in shared_files(snap) for end in shared.ends}
