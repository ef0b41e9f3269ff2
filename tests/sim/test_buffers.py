"""The ring buffer (two counters that only grow) and the area buffer (pages, dirty, sync)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from iochannels.sim.buffers import PAGE_SIZE, AreaBuffer, RingBuffer, Storage


def test_ring_counters_only_grow_and_wrap() -> None:
    ring = RingBuffer(8)
    assert ring.write(b"abcdef") == 6
    assert ring.read(4) == b"abcd"
    assert ring.write(b"ghijklmn") == 6  # only 6 free: 2 used of 8
    assert (ring.nread, ring.nwrite, ring.used, ring.free) == (4, 12, 8, 0)
    assert ring.read(100) == b"efghijkl"  # wrapped around the end of the array
    assert ring.used == 0 and ring.nread == ring.nwrite == 12


def test_ring_full_takes_nothing_and_empty_gives_nothing() -> None:
    ring = RingBuffer(4)
    assert ring.write(b"1234") == 4
    assert ring.write(b"5") == 0
    assert ring.read(4) == b"1234"
    assert ring.read(4) == b""


def test_ring_clear_drops_everything() -> None:
    ring = RingBuffer(4)
    ring.write(b"abc")
    assert ring.clear() == 3
    assert ring.used == 0 and ring.read(3) == b""


@settings(deadline=None, derandomize=True, max_examples=200)
@given(st.sampled_from([1, 7, 64, 300, 1000]),
       st.lists(st.tuples(st.booleans(), st.integers(0, 700)), max_size=40))
def test_ring_is_a_bounded_fifo(capacity: int, ops: list[tuple[bool, int]]) -> None:
    """Against a plain bytes model: the same bytes come out in the same order."""
    ring, model, counter = RingBuffer(capacity), b"", 0
    for is_write, n in ops:
        if is_write:
            data = bytes((counter + i) % 256 for i in range(n))
            counter += n
            taken = ring.write(data)
            assert taken == min(n, capacity - len(model))
            model += data[:taken]
        else:
            assert ring.read(n) == model[:n]
            model = model[n:]
        assert ring.used == len(model) <= capacity


def test_area_buffer_dirty_pages_and_sync() -> None:
    area = AreaBuffer(Storage())
    area.write(0, b"x" * (PAGE_SIZE + 1))
    assert area.dirty_pages == 2 and area.storage.data == b""
    assert area.sync() == 2
    assert area.dirty_pages == 0 and area.storage.data == b"x" * (PAGE_SIZE + 1)


def test_area_buffer_reads_at_offsets_and_zero_at_end() -> None:
    area = AreaBuffer(Storage(bytearray(b"hello world")))
    assert area.read(6, 100) == b"world"
    assert area.read(11, 5) == b""
    assert area.read(50, 5) == b""


def test_area_buffer_write_past_end_leaves_a_hole() -> None:
    area = AreaBuffer(Storage())
    area.write(4, b"ab")
    assert area.contents() == b"\0\0\0\0ab" and area.size == 6


def test_area_buffer_truncate() -> None:
    area = AreaBuffer(Storage(bytearray(b"old")))
    area.truncate()
    assert area.size == 0 and area.contents() == b""
    area.sync()
    assert area.storage.data == b""
