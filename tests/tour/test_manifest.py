"""The tour's manifest: the next run removes what the last one wrote, and only that."""

from __future__ import annotations

from pathlib import Path

from iochannels.tour.manifest import MANIFEST, record_written, remove_previous


def written(out: Path, *names: str) -> list[Path]:
    paths = [out / name for name in names]
    for path in paths:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("the tour's")
    return paths


def test_a_subdirectory_has_a_list_of_its_own_and_goes_when_emptied(tmp_path: Path) -> None:
    out = tmp_path / "report"
    elsewhere = written(tmp_path, "elsewhere.svg")  # a demo's picture outside --out
    record_written(out, [*written(out, "index.html", "files/plot.svg"), *elsewhere])
    assert (out / MANIFEST).read_text().splitlines()[1:] == ["files", "index.html"]
    assert (out / "files" / MANIFEST).read_text().splitlines()[1:] == ["plot.svg"]
    remove_previous(out)
    assert list(out.iterdir()) == []
    assert elsewhere[0].exists()  # never listed: not the tour's to remove


def test_the_users_files_stay_even_in_the_tours_subdirectory(tmp_path: Path) -> None:
    out = tmp_path / "report"
    record_written(out, written(out, "index.html", "files/plot.svg"))
    (out / "files" / "mine.svg").write_text("the user's")
    (out / "mine.html").write_text("the user's")
    remove_previous(out)
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*")) == [
        "files", "files/mine.svg", "mine.html"]


def test_a_listed_symlink_is_removed_never_followed(tmp_path: Path) -> None:
    """A name the last run wrote, replaced since by a link out of DIR: the link goes."""
    out, target = tmp_path / "report", tmp_path / "target"
    written(target, "keep.txt")
    out.mkdir()
    (out / "files").symlink_to(target, target_is_directory=True)
    (out / MANIFEST).write_text("files\n")
    (target / MANIFEST).write_text("keep.txt\n")  # reached only by following the link
    remove_previous(out)
    assert not (out / "files").exists() and (target / "keep.txt").exists()


def test_nothing_is_listed_through_a_symlink(tmp_path: Path) -> None:
    """files -> elsewhere (the user's link): no list written there, the link not listed."""
    out, target = tmp_path / "report", tmp_path / "target"
    target.mkdir()
    out.mkdir()
    (out / "files").symlink_to(target, target_is_directory=True)
    record_written(out, written(out, "index.html", "files/plot.svg"))
    assert (out / MANIFEST).read_text().splitlines()[1:] == ["index.html"]
    assert not (target / MANIFEST).exists()
    remove_previous(out)
    assert (out / "files").is_symlink() and (target / "plot.svg").exists()
