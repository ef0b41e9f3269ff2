"""Run one child program: ``python -m iochannels.demos.children MODULE.FUNCTION ARG...``.

The demos build this command line with :func:`iochannels.demos.processes.program`
from the function itself; nobody writes the string by hand.
"""

from __future__ import annotations

import importlib
import sys


def main(argv: list[str]) -> None:
    if not argv or "." not in argv[0]:
        sys.exit("usage: python -m iochannels.demos.children MODULE.FUNCTION ARG...")
    module, function = argv[0].rsplit(".", 1)
    getattr(importlib.import_module(f"{__package__}.{module}"), function)(*argv[1:])


if __name__ == "__main__":
    main(sys.argv[1:])
