"""The shell against dash on the corpus: same stdout, stderr, exit status, files left."""

from __future__ import annotations

import pytest
from corpus import ALL
from shellkit import DASH, differences

pytestmark = pytest.mark.witness("dash")

CHUNK = 40


@pytest.mark.skipif(DASH is None, reason="dash is not installed (scripts/install-system-deps.sh)")
@pytest.mark.parametrize("start", range(0, len(ALL), CHUNK))
def test_corpus_agrees_with_dash(start: int) -> None:
    lines = ALL[start:start + CHUNK]
    found = differences(lines)
    assert not found, "\n".join(found)


def test_corpus_is_large_enough() -> None:
    assert len(set(ALL)) >= 150


def test_trace_and_draw_change_nothing() -> None:
    """Looking changes nothing: with --trace and --draw on (their output elsewhere), a third
    of the corpus (every third line: a drawing costs a /proc scan per pipeline) gives the
    same stdout, stderr, status and files as without."""
    from shellkit import run_ours

    lines = ALL[::3]
    plain, shown = run_ours(lines), run_ours(lines, show=True)
    found = [f"{line!r}:\n  plain: {a}\n  shown: {b}"
             for line, a, b in zip(lines, plain, shown, strict=True)
             if (a.stdout, a.status, a.files) != (b.stdout, b.status, b.files)
             or _sorted(a.stderr) != _sorted(b.stderr)]
    assert not found, "\n".join(found)


def _sorted(text: str) -> list[str]:
    return sorted(text.splitlines())
