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
