"""Assemble README.md from the sections under docs/readme/ (run by `make readme`).

Each part of the project documents itself in its own file there; some of them are
checked against real output by the tests (docs/readme/sim.md) or regenerated
(docs/readme/views.md by `make docs`). tests/test_readme.py checks that README.md
is this assembly, so the two never drift apart.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PARTS = ROOT / "docs" / "readme"

# (heading of the group or None, the files under it), in the order a reader wants them.
LAYOUT: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    (None, ("00-intro.md",)),
    ("Inspecting real processes", ("fds.md",)),
    ("A real program step by step", ("trace.md",)),
    ("Pictures", ("views.md", "names.md")),
    ("The simulated kernel", ("sim.md", "sim-kernel.md")),
    ("The lecture's demos", ("demos-0-3.md", "demos-4-6.md")),
    ("The tour", ("tour.md",)),
    ("A shell that shows its work", ("shell.md",)),
    ("Measuring channels", ("bench.md",)),
    (None, ("99-project.md",)),
)

NOTICE = "<!-- Assembled from docs/readme/*.md by `make readme`: edit those files. -->\n"


def assemble() -> str:
    chunks = [NOTICE]
    for heading, files in LAYOUT:
        if heading:
            chunks.append(f"## {heading}\n")
        chunks.extend((PARTS / name).read_text(encoding="utf-8").strip() + "\n" for name in files)
    return "\n".join(chunks)


def main() -> int:
    text = assemble()
    target = ROOT / "README.md"
    if "--check" in sys.argv:
        if target.read_text(encoding="utf-8") != text:
            print("README.md is out of date: run `make readme`", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
