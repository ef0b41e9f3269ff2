"""Helpers for the kernel's tests: drive attached processes call by call."""

from __future__ import annotations

from typing import Any

from iochannels.sim import Blocked, Done, Failed, Kernel


def ok(k: Kernel, pid: int, call: str, *args: Any) -> Any:
    """The call's value; fails the test if it failed or blocked."""
    outcome = k.syscall(pid, call, *args)
    assert isinstance(outcome, Done), f"{call}{args}: {outcome}"
    return outcome.value


def err(k: Kernel, pid: int, call: str, *args: Any) -> str:
    """The call's errno name; fails the test if it succeeded or blocked."""
    outcome = k.syscall(pid, call, *args)
    assert isinstance(outcome, Failed), f"{call}{args}: {outcome}"
    return outcome.errno


def blocks(k: Kernel, pid: int, call: str, *args: Any) -> None:
    outcome = k.syscall(pid, call, *args)
    assert isinstance(outcome, Blocked), f"{call}{args}: {outcome}"
