"""The model's derived properties."""

from iochannels.model import (
    Buffer,
    BufferRole,
    Channel,
    End,
    FdEntry,
    Kind,
    Nature,
    Process,
    Reach,
    Snapshot,
    Step,
    Walkthrough,
)


def test_every_kind_has_a_nature_and_a_reach() -> None:
    streams = {k for k in Kind if k.nature is Nature.STREAM}
    assert {Kind.PIPE, Kind.FIFO, Kind.CHR, Kind.TCP, Kind.UDP, Kind.UNIX_DGRAM} <= streams
    assert {k for k in Kind if k.nature is Nature.BLOCK} == {Kind.FILE, Kind.BLK}
    assert Kind.PIPE.reach is Reach.PROCESS and Kind.CHR.reach is Reach.DEVICE
    assert Kind.UNIX_STREAM.is_socket and not Kind.PIPE.is_socket
    assert Kind.FIFO.is_pipe_like and not Kind.TCP.is_pipe_like


def test_buffer_fill_is_none_when_the_kernel_did_not_tell() -> None:
    assert Buffer(BufferRole.PIPE, 65536, 16384).fill == 0.25
    assert Buffer(BufferRole.PIPE, 65536, 16384).free == 49152
    assert Buffer(BufferRole.RECV, None, 10).fill is None
    assert Buffer(BufferRole.SEND, 100, None).free is None


def _pipeline() -> Snapshot:
    pipe = Channel("pipe:[7]", Kind.PIPE, buffers=(Buffer(BufferRole.PIPE, 65536, 0),))
    tty = Channel("/dev/pts/0", Kind.CHR)
    writer = Process(1, "ls", fds=(FdEntry(0, "/dev/pts/0", "rw"), FdEntry(1, "pipe:[7]", "w")))
    reader = Process(2, "wc", fds=(FdEntry(0, "pipe:[7]", "r"), FdEntry(1, "/dev/pts/0", "rw")))
    return Snapshot((writer, reader), {"pipe:[7]": pipe, "/dev/pts/0": tty}, "sim")


def test_ends_and_counts() -> None:
    snap = _pipeline()
    assert snap.ends("pipe:[7]") == (End(1, 1, "w"), End(2, 0, "r"))
    assert snap.counts_by_kind() == {Kind.PIPE: 2, Kind.CHR: 2}
    assert snap.counts_by_nature() == {Nature.STREAM: 4}
    assert snap.process(2) is not None and snap.process(3) is None


def test_the_fullest_step_is_the_first_with_the_most_fds_open() -> None:
    full = _pipeline()
    one = Snapshot((Process(1, "ls", fds=(FdEntry(0, "/dev/pts/0", "rw"),)),), full.channels,
                   "sim")
    steps = (Step(one), Step(full, caption="first"), Step(one), Step(full, caption="second"))
    assert (full.open_fds, one.open_fds) == (4, 1)
    assert Walkthrough("run", steps).fullest_step is steps[1]
    assert Walkthrough("nothing", ()).fullest_step is None
