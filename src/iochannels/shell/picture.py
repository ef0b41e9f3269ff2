"""The ``--draw`` picture of a real pipeline, for the tour's section 4 (and any report).

The command line runs in its own ``iochannels shell`` process (it forks, dup2s and execs
for real; the caller's fds, signals and directory stay as they were), in a temporary
directory unless ``cwd`` is given; each pipeline's picture comes back as text in ``fmt``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from iochannels.shell.errors import ShellError

__all__ = ["SECTION_4_LINE", "pipeline_pictures"]

# The lecture's pipeline with a redirection at each end (section 4).
SECTION_4_LINE = "printf 'b\\na\\nb\\n' > in.txt; sort < in.txt | uniq -c > out.txt"


def pipeline_pictures(line: str = SECTION_4_LINE, fmt: str = "svg",
                      cwd: str | None = None) -> list[str]:
    """One picture per command of ``line`` that forked (a pipeline, a program), in order."""
    with tempfile.TemporaryDirectory(prefix="iochannels-shell-") as tmp:
        suffix = {"text": ".txt", "json": ".json"}.get(fmt, f".{fmt}")
        target = Path(tmp, "pictures", "picture" + suffix)
        target.parent.mkdir()
        proc = subprocess.run(
            [sys.executable, "-m", "iochannels", "shell", "--draw", "--format", fmt,
             "-o", str(target), "-c", line],
            cwd=cwd or tmp, stdin=subprocess.DEVNULL, capture_output=True, timeout=60)
        if proc.returncode != 0:
            message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
            raise ShellError(f"shell --draw failed: {message[-1] if message else proc.returncode}")
        pictures = sorted(target.parent.iterdir(),
                          key=lambda p: (len(p.stem), p.stem))  # picture, picture-2, ...
        return [p.read_text(encoding="utf-8") for p in pictures]
