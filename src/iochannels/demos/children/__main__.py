"""Run one child program: ``python -m iochannels.demos.children MODULE.FUNCTION ARG...``.

The demos build this command line with :func:`iochannels.demos.processes.program`
from the function itself; nobody writes the string by hand.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable

USAGE = "usage: python -m iochannels.demos.children MODULE.FUNCTION ARG..."


def find(name: str) -> Callable[..., None] | None:
    """The program ``MODULE.FUNCTION`` of this package, None if there is none."""
    module, _, function = name.rpartition(".")
    try:
        found = getattr(importlib.import_module(f"{__package__}.{module}"), function, None)
    except ImportError:
        return None
    return found if callable(found) else None


def main(argv: list[str]) -> None:
    program = find(argv[0]) if argv and "." in argv[0] else None
    if program is None:
        print(f"{USAGE} (no program {argv[0]!r})" if argv else USAGE, file=sys.stderr)
        sys.exit(2)
    program(*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
