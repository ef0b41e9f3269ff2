"""The tour's own files in its --out DIR: listed when written, removed when the next run starts.

A second tour into the same DIR with other options (``--section 4`` after a full
tour, ``--quick``) writes fewer pages: without this, the first run's
``section-6.html`` or ``walk-SCENARIO.html`` would stay beside the new index,
stale, looking current. Removing by pattern (``section-*.html``) would also take
the user's own files of that name; so each run lists what it wrote, one bare
name a line, in ``MANIFEST`` in each directory it wrote in, and the next run
removes exactly those names and nothing else.

A manifest is a file anyone can edit: a name holding ``/``, ``.``, ``..`` or a
NUL byte is ignored, so that no entry reaches outside its directory; a listed
directory is entered only through its own manifest, and removed only if that
leaves it empty; a symbolic link is removed itself, never followed.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

__all__ = ["MANIFEST", "record_written", "remove_previous"]

MANIFEST = ".iochannels-tour-files"
HEADER = "# written by `iochannels tour`; its next run here removes these files, and only these\n"


def remove_previous(directory: Path) -> None:
    """Remove the files the previous run listed in ``directory``, then the list itself."""
    # OSError: gone already (the user removed it), or not ours to remove after all (a
    # non-empty directory, no permission); either way the run goes on and overwrites
    # what it writes again.
    for name in _listed(directory):
        path = directory / name
        if path.is_dir() and not path.is_symlink():  # a directory the tour made (files/)
            remove_previous(path)
            with suppress(OSError):
                path.rmdir()  # only when empty: the user's own files inside stay
        else:
            with suppress(OSError):
                path.unlink()
    with suppress(OSError):
        (directory / MANIFEST).unlink()


def record_written(out: Path, written: Iterable[Path]) -> None:
    """List ``written`` (paths under ``out``) in a manifest in each directory they are in.

    ``out/files/plot.svg`` puts ``files`` in ``out``'s list and ``plot.svg`` in
    ``out/files``'s: every list holds bare names. A path outside ``out`` is not
    the tour's to remove later and is left out.
    """
    names: dict[Path, set[str]] = {out: set()}
    for path in written:
        try:
            parts = path.relative_to(out).parts
        except ValueError:
            continue
        if not parts or ".." in parts or _through_a_link(out, parts[:-1]):
            continue
        for depth, name in enumerate(parts):
            names.setdefault(out.joinpath(*parts[:depth]), set()).add(name)
    for directory, listed in names.items():
        (directory / MANIFEST).write_text(HEADER + "".join(f"{n}\n" for n in sorted(listed)),
                                          "utf-8")


def _through_a_link(out: Path, dirs: tuple[str, ...]) -> bool:
    """A path written through a symbolic link (``files`` -> elsewhere) lands outside ``out``:
    no list goes there, and the link, the user's, is not listed for removal either."""
    return any(out.joinpath(*dirs[: depth + 1]).is_symlink() for depth in range(len(dirs)))


def _listed(directory: Path) -> list[str]:
    try:
        text = (directory / MANIFEST).read_text("utf-8", errors="replace")
    except OSError:  # none yet (a first run, or a report from before the manifest)
        return []
    return [line for line in text.splitlines() if _safe(line)]


def _safe(name: str) -> bool:
    """A bare name in its directory: no way up or out, not the manifest, not a comment."""
    return (bool(name) and not name.startswith("#") and name not in (".", "..", MANIFEST)
            and "/" not in name and "\0" not in name)
