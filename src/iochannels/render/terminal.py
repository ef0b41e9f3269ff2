"""How wide a text view may be, and whether it may use colour: decided as ls(1) and rich do.

Pure functions of what the caller found (is the output a terminal, the environment, the
terminal's size): the commands and the demos ask the same question and get one answer.

- ``COLUMNS``, when set to a positive number, is the width, on a terminal or not (ls(1),
  rich and ``shutil.get_terminal_size`` honour it the same way).
- On a terminal without it: the terminal's own width.
- Into a pipe or a file without it: no limit. A log is read later, in a wider window or
  with ``less -S``; a cell cut to fit 80 or 100 columns there (``CONNECT…``, an address
  without its port) is lost for good.
- Colour only on a terminal, without ``NO_COLOR`` (no-color.org) and unless ``TERM=dumb``
  (a terminal that interprets no escape sequence, as rich itself decides).
"""

from __future__ import annotations

from collections.abc import Mapping

__all__ = ["NO_LIMIT", "text_width", "use_color"]

NO_LIMIT = 1 << 20  # columns: wider than any row a view draws


def text_width(is_terminal: bool, environ: Mapping[str, str], terminal_columns: int | None) -> int:
    """The width a text view fits.

    >>> text_width(False, {}, None), text_width(False, {"COLUMNS": "132"}, None)
    (1048576, 132)
    >>> text_width(True, {}, 90), text_width(True, {"COLUMNS": "x"}, 90)
    (90, 90)
    """
    columns = environ.get("COLUMNS", "")
    if columns.isascii() and columns.isdigit() and int(columns) > 0:
        return int(columns)
    if is_terminal and terminal_columns:
        return terminal_columns
    return NO_LIMIT


def use_color(is_terminal: bool, environ: Mapping[str, str]) -> bool:
    """Colour on a terminal that shows it, unless NO_COLOR says no.

    >>> use_color(True, {}), use_color(True, {"NO_COLOR": "1"}), use_color(True, {"TERM": "dumb"})
    (True, False, False)
    """
    return is_terminal and not environ.get("NO_COLOR") and environ.get("TERM") != "dumb"
