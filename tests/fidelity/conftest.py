"""One real worker per test module, shared by its differential tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from iochannels.fidelity.linux import LinuxRunner


@pytest.fixture(scope="module")
def linux() -> Iterator[LinuxRunner]:
    with LinuxRunner() as runner:
        yield runner
