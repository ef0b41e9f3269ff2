"""What one system call did, for harnesses that drive the kernel call by call."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Blocked", "Done", "Failed", "Outcome"]


@dataclass(frozen=True, slots=True)
class Done:
    value: Any


@dataclass(frozen=True, slots=True)
class Failed:
    errno: str  # its name: "EPIPE"


@dataclass(frozen=True, slots=True)
class Blocked:
    what: str  # what the call waits for


Outcome = Done | Failed | Blocked
