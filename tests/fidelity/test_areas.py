"""Areas the generated scripts never reached, written from the man pages: each program
runs on Linux and on the simulator, and both must see the same (or the difference is a
named simplification, checked to still show)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from twokernels import attempt, on_both


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)


# -- exit statuses: wait(2) reports the low 8 bits (WEXITSTATUS) -----------------------

@pytest.mark.parametrize("status", [0, 1, 255, 256, 257, 300, -1, -256, 1 << 20])
def test_exit_status_keeps_the_low_8_bits(status: int) -> None:
    async def child(p: Any) -> None:
        await p.exit(status)

    async def prog(p: Any) -> Any:
        pid = await p.fork(child)
        _, got = await p.wait(pid)
        return got

    linux, sim = on_both(prog)
    assert linux == status & 0xFF
    assert sim == linux


@pytest.mark.parametrize("status", [3, 256, 1000])
def test_a_returned_status_is_an_exit_status(status: int) -> None:
    async def child(p: Any) -> int:
        return status

    async def prog(p: Any) -> Any:
        return (await p.wait(await p.fork(child)))[1]

    assert on_both(prog) == (status & 0xFF, status & 0xFF)


# -- open flags and lseek whence: open(2), lseek(2) ---------------------------------------

FLAG_SETS = [dict(create=c, truncate=t, append=a) for c in (False, True)
             for t in (False, True) for a in (False, True)]


@pytest.mark.parametrize("mode", ["r", "w", "rw"])
@pytest.mark.parametrize("flags", FLAG_SETS,
                         ids=lambda f: "".join(k[0] for k, v in f.items() if v) or "-")
def test_open_flag_combinations(mode: str, flags: dict[str, bool]) -> None:
    async def prog(p: Any) -> Any:
        w = await p.open("f", "w", create=True)
        await p.write(w, b"0123456789")
        await p.close(w)
        seen = [await attempt(p.open("f", mode, **flags)),
                await attempt(p.open("g", mode, **flags))]
        fd = seen[0]
        if isinstance(fd, int):
            seen.append(await attempt(p.write(fd, b"ab")))
            seen.append(await attempt(p.lseek(fd, 0, 1)))
            seen.append(await attempt(p.lseek(fd, 0, 2)))
            seen.append(await attempt(p.lseek(fd, 0, 0)))
            seen.append(await attempt(p.read(fd, 100)))
        return ["fd" if isinstance(s, int) and i < 2 else s for i, s in enumerate(seen)]

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("whence", [0, 1, 2, 3, 4, 5, -1])
@pytest.mark.parametrize("offset", [-11, -1, 0, 3, 10, 11, 5000])
def test_lseek_whence_on_a_file(whence: int, offset: int) -> None:
    async def prog(p: Any) -> Any:
        fd = await p.open("f", "rw", create=True)
        await p.write(fd, b"0123456789")
        await p.lseek(fd, 4)
        return [await attempt(p.lseek(fd, offset, whence)), await attempt(p.lseek(fd, 0, 1))]

    linux, sim = on_both(prog)
    assert sim == linux


@pytest.mark.parametrize("whence", [0, 1, 2, 3, 4])
def test_lseek_on_char_devices_opened_by_path(whence: int) -> None:
    async def prog(p: Any) -> Any:
        null = await p.open("/dev/null", "rw")
        return [await attempt(p.lseek(null, 7, whence)), await attempt(p.lseek(null, 0, 1))]

    linux, sim = on_both(prog)
    assert sim == linux


# -- paths ------------------------------------------------------------------------------

def test_dot_slash_names_the_same_file() -> None:
    async def prog(p: Any) -> Any:
        fd = await p.open("f", "w", create=True)
        await p.write(fd, b"abc")
        seen = [await attempt(p.open("./f", "r", create=True, truncate=False))]
        seen.append(await attempt(p.read(seen[0], 10)))
        seen.append(await attempt(p.open(".//./f", "r")))
        seen.append(await attempt(p.mkfifo("./f")))
        seen.append(await attempt(p.unlink("./f")))
        seen.append(await attempt(p.open("f", "r")))
        return [s if not isinstance(s, int) else "fd" for s in seen]

    linux, sim = on_both(prog)
    assert sim == linux


def test_a_file_used_as_a_directory_is_enotdir() -> None:
    async def prog(p: Any) -> Any:
        await p.close(await p.open("f", "w", create=True))
        await p.mkfifo("q")
        return [await attempt(p.open("f/g", "w", create=True)),
                await attempt(p.open("f/g", "r")),
                await attempt(p.open("q/g", "r")),
                await attempt(p.mkfifo("f/q")),
                await attempt(p.unlink("f/g"))]

    linux, sim = on_both(prog)
    assert sim == linux
