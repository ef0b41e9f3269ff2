"""The C reference: built with the system's cc into the cache directory on first use,
reused after; each of its measures moves what it says; without a compiler there is
none, and the reason is given."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import need_program
from iochannels.bench.creference import CReference, find_reference
from iochannels.bench.kinds import DATAGRAM, KINDS


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> CReference:
    need_program(os.environ.get("CC") or "cc")
    cache = tmp_path_factory.mktemp("cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("XDG_CACHE_HOME", str(cache))
        mp.delenv("IOCHANNELS_NO_CC", raising=False)
        ref, why = find_reference()
        assert ref is not None, why
        assert ref.binary.parent == cache / "iochannels"
        assert os.access(ref.binary, os.X_OK)
        built = ref.binary.stat().st_mtime_ns
        again, _ = find_reference()  # built once: the second call finds it in the cache
        assert again == ref and ref.binary.stat().st_mtime_ns == built
        assert sorted(p.name for p in ref.binary.parent.iterdir()) == [ref.binary.name]
    return ref


@pytest.mark.parametrize("kind", KINDS)
def test_c_stream_moves_every_byte(reference: CReference, kind: str, tmp_path: Path) -> None:
    t = reference.stream(kind, 5000, 40, 2, workdir=tmp_path, buffer=None, pins=None,
                         datagram=kind in DATAGRAM)
    assert len(t.seconds) == 2 and t.sent == 80
    if kind == "udp":
        assert t.lost == t.sent - t.delivered >= 0
        assert sum(t.received) == t.delivered * 5000
    else:
        assert t.received == (200000, 200000) and t.lost == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("kind", KINDS)
def test_c_round_trips_one_sample_each(reference: CReference, kind: str,
                                       tmp_path: Path) -> None:
    lat = reference.pingpong(kind, 100, 40, 5, workdir=tmp_path, buffer=None, pins=None)
    assert len(lat.samples_ns) + lat.lost == 40
    assert lat.impl == "c" and all(s > 0 for s in lat.samples_ns)


def test_c_memcpy_and_zero_copy(reference: CReference, tmp_path: Path) -> None:
    assert reference.memcpy(4096, 100, 2).received == (409600, 409600)
    for mode in ("splice", "vmsplice"):
        t = reference.zerocopy(mode, 65536, 8, 2, buffer=None, pins=None, workdir=tmp_path)
        assert t.received == (524288, 524288), mode


def test_no_compiler_on_path_means_no_reference(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.delenv("IOCHANNELS_NO_CC", raising=False)
    assert find_reference() == (None, "no C compiler (cc) on PATH")
    monkeypatch.setenv("IOCHANNELS_NO_CC", "1")
    assert find_reference() == (None, "IOCHANNELS_NO_CC=1")
    assert list(tmp_path.iterdir()) == []


def test_a_compiler_that_fails_is_said(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`false` as the compiler: it runs and builds nothing; the reason names it."""
    need_program("false")
    monkeypatch.setenv("CC", "false")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("IOCHANNELS_NO_CC", raising=False)
    ref, why = find_reference()
    assert ref is None and "could not build the C reference" in why
    assert list((tmp_path / "iochannels").iterdir()) == []  # nothing half-built left
