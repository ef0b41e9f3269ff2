"""The one answer to an output that cannot take more: a closed pipe, a full disk.

When a write to stdout fails (EPIPE when the reader went away, ENOSPC for /dev/full),
what Python still buffers for it would fail again as the interpreter exits ("Exception
ignored ... BrokenPipeError", status 120). Every command that meets such an error points
the descriptor at /dev/null first, then says so in its own way (quietly for a reader
that went away, as cat does; one line for a full disk).

A file named by ``-o FILE`` is written whole or not at all (``write_file``): a full disk
leaves no cut document with a good name behind, and the file it would replace intact.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat

__all__ = ["drop_output", "write_file"]


def drop_output(fileno: int = 1) -> None:
    """Point ``fileno`` at /dev/null: later writes and the final flush go nowhere."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fileno)
    finally:
        os.close(devnull)


def write_file(path: str, text: str | bytes) -> None:
    """Write ``text`` (UTF-8) to ``path`` whole or not at all; OSError as open(2), write(2)
    or close(2) gave it.

    The text goes to a new file beside the target, which rename(2) then puts in its place
    in one step ("If newpath already exists, it will be atomically replaced"): a write that
    fails (ENOSPC, EDQUOT, EFBIG) or an interruption removes that new file, and the target
    is as it was. A target that exists and is no regular file (a FIFO, /dev/null) is
    written in place: there is nothing there to replace; so is one reached through a
    descriptor's link (``-o /dev/stdout``). A symbolic link stays one: its file is
    replaced. Where the directory refuses a new file but the target may be written
    (EACCES, EROFS), it is written in place, as before.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    target = _file_named(path)
    try:
        st = None if target is None else os.stat(target)
    except FileNotFoundError:
        st = None
    if target is None or (st is not None and not stat.S_ISREG(st.st_mode)):
        _write_in_place(path, data)
        return
    mode = None if st is None else stat.S_IMODE(st.st_mode)
    try:
        fd, new = _new_beside(target)
    except OSError as exc:
        if mode is None or exc.errno not in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise
        _write_in_place(path, data)
        return
    try:
        with open(fd, "wb") as fh:
            if mode is not None:  # the replaced file's permissions, not the umask's
                os.fchmod(fh.fileno(), mode)
            fh.write(data)
        # close(2) may be where a full disk shows first (NFS): the with block has closed it.
        os.replace(new, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(new)
        raise


def _file_named(path: str) -> str | None:
    """The path at the end of ``path``'s symbolic links, or None when one of them is a file
    descriptor's link under /proc (``/dev/stdout``, ``/dev/fd/3``, ``/proc/self/fd/1``):
    proc(5), such a link is the open file itself, maybe a pipe or a file opened for
    appending (``>> log``), never a name to replace."""
    for _ in range(40):  # Linux gives up after 40 links (path_resolution(7))
        if os.path.realpath(os.path.dirname(os.path.abspath(path))).startswith("/proc/"):
            return None
        if not os.path.islink(path):
            return path
        path = os.path.join(os.path.dirname(path), os.readlink(path))
    return None


def _new_beside(target: str) -> tuple[int, str]:
    """A new file in ``target``'s directory, hidden by its leading dot; mode 0666 less the
    umask, as open(2) gives the file the command would have made."""
    directory, name = os.path.split(target)
    while True:  # name cut: the new name must fit NAME_MAX (255 bytes) as the target does
        new = os.path.join(directory, f".{name[:40]}.{secrets.token_hex(4)}.tmp")
        try:
            return os.open(new, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666), new
        except FileExistsError:
            continue


def _write_in_place(path: str, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
