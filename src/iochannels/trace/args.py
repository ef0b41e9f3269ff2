"""strace's argument texts: split at commas, read fds with their ``-yy`` decorations.

strace(1) ``-yy`` prints an fd with what it points to: ``3</etc/passwd>``,
``4<pipe:[58627]>``, ``3<UNIX-STREAM:[57756->57757]>``,
``8<TCP:[127.0.0.1:43879->127.0.0.1:45708]>``, ``1</dev/pts/0<char 136:0>>``
(newer versions add the device). In a path, strace escapes ``<``, ``>``, ``"``
and bytes that do not print, in octal (``\\74``, ``\\76``) or as ``\\n``: an
unescaped ``>`` ends a decoration, except inside a socket's ``[...]``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass

__all__ = [
    "Fd",
    "decoration_of",
    "end_of_decoration",
    "fd_list",
    "fd_of",
    "split_args",
    "top_level_positions",
    "unescape",
]

_SIMPLE_DECORATION = re.compile(r"<[^<>\[\]\\]*(?:\[[^\]\\]*\])?>")
_OPEN = "([{"
_CLOSE = ")]}"


# The characters that matter to the split, found by one regular expression (at C speed)
# instead of a loop over every character: strings, brackets, commas, decorations.
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"(?:\.\.\.)?|[][{}(),<]')


def _scan(text: str) -> Iterator[tuple[int, str, int]]:
    """(index, char, depth) of every bracket and comma outside quotes and decorations."""
    depth = 0
    pos = 0
    n = len(text)
    while pos < n:
        match = _TOKEN.search(text, pos)
        if match is None:
            return
        i = match.start()
        ch = text[i]
        if ch == '"':
            pos = match.end()
            continue
        if ch == "<":
            if i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_"):
                pos = end_of_decoration(text, i)
            else:
                pos = i + 1
            continue
        if ch in _CLOSE:
            depth -= 1
        yield i, ch, depth
        if ch in _OPEN:
            depth += 1
        pos = i + 1


def _end_of_string(text: str, start: int) -> int:
    i = start + 1
    while i < len(text):
        if text[i] == "\\":
            i += 2
            continue
        if text[i] == '"':
            i += 1
            break
        i += 1
    if text.startswith("...", i):  # "abc"... : strace cut the string at -s
        i += 3
    return i


def end_of_decoration(text: str, start: int) -> int:
    """The index after the ``>`` that closes the ``<`` at ``start`` (nested ones counted)."""
    simple = _SIMPLE_DECORATION.match(text, start)
    if simple is not None:  # most: "</etc/passwd>", "<pipe:[12]>", "<TCP:[1.2.3.4:5->...]>"
        return simple.end()
    depth = 0
    square = 0
    i = start
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            square += 1
        elif ch == "]":
            square = max(square - 1, 0)
        elif ch == "<" and not square:
            depth += 1
        elif ch == ">" and not square:
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return len(text)


def top_level_positions(text: str, char: str) -> list[int]:
    """Where ``char`` stands at depth 0 (a ``)`` that closes depth 0 counts as depth -1 -> 0)."""
    return [i for i, ch, depth in _scan(text) if ch == char and depth <= 0]


def split_args(text: str) -> tuple[str, ...]:
    """Split at the commas outside quotes, brackets and decorations.

    >>> split_args('3</a, b>, "x, y", [4<pipe:[1]>, 5<pipe:[1]>], {a=1, b=2}, 2')
    ('3</a, b>', '"x, y"', '[4<pipe:[1]>, 5<pipe:[1]>]', '{a=1, b=2}', '2')
    >>> split_args('')
    ()
    """
    if not any(c in text for c in '"[{(<'):  # the common case: plain numbers and names
        return tuple(s for p in text.split(",") if (s := p.strip()))
    cuts = [i for i, ch, depth in _scan(text) if ch == "," and depth == 0]
    parts, start = [], 0
    for cut in [*cuts, len(text)]:
        parts.append(text[start:cut].strip())
        start = cut + 1
    return tuple(p for p in parts if p) if text.strip() else ()


def decoration_of(token: str) -> tuple[str, str | None]:
    """``3</etc/x>`` -> ("3", "/etc/x"); a token without one -> (token, None).

    >>> decoration_of("8<TCP:[127.0.0.1:1->127.0.0.1:2]>")
    ('8', 'TCP:[127.0.0.1:1->127.0.0.1:2]')
    >>> decoration_of("1</dev/pts/0<char 136:0>>")
    ('1', '/dev/pts/0<char 136:0>')
    """
    start = token.find("<")
    if start <= 0:
        return token, None
    end = end_of_decoration(token, start)
    return token[:start], token[start + 1 : end - 1]


_ESCAPE = re.compile(r"\\(x[0-9a-fA-F]{2}|[0-7]{1,3}|.)", re.S)
_SIMPLE = {"n": 10, "t": 9, "r": 13, "v": 11, "f": 12, "a": 7, "b": 8, "e": 27}


def unescape(text: str) -> str:
    """strace's escapes undone; bytes that are not UTF-8 kept as surrogates (os.fsdecode).

    >>> unescape(r'/tmp/we\\74i\\76rd, \\"na\\nme\\33')
    '/tmp/we<i>rd, "na\\nme\\x1b'
    >>> unescape(r'/tmp/\\377') == os.fsdecode(b'/tmp/\\xff')
    True
    """
    if "\\" not in text:
        return text
    out = bytearray()
    pos = 0
    for match in _ESCAPE.finditer(text):
        out += text[pos : match.start()].encode("utf-8", "surrogateescape")
        code = match.group(1)
        if code[0] == "x" and len(code) == 3:
            out.append(int(code[1:], 16))
        elif code[0] in "01234567":
            out.append(int(code, 8) & 0xFF)
        else:
            out.append(_SIMPLE.get(code, ord(code) if ord(code) < 128 else 63))
        pos = match.end()
    out += text[pos:].encode("utf-8", "surrogateescape")
    return os.fsdecode(bytes(out))


@dataclass(frozen=True, slots=True)
class Fd:
    """An fd argument or result: its number and what ``-yy`` said it points to."""

    number: int
    what: str | None  # unescaped: "/etc/passwd", "pipe:[12]", "UNIX-STREAM:[1->2]"


def fd_of(token: str) -> Fd | None:
    """``3</etc/x>`` -> Fd(3, "/etc/x"); ``AT_FDCWD</tmp>`` and non-numbers -> None.

    >>> fd_of("4<pipe:[58627]>"), fd_of("7"), fd_of("AT_FDCWD</tmp>")
    (Fd(number=4, what='pipe:[58627]'), Fd(number=7, what=None), None)
    """
    head, decor = decoration_of(token.strip())
    try:
        number = int(head)
    except ValueError:
        return None
    return Fd(number, None if decor is None else unescape(decor))


def fd_list(token: str) -> list[Fd]:
    """``[3<pipe:[1]>, 4<pipe:[1]>]`` (pipe, socketpair) -> its fds.

    >>> [f.number for f in fd_list("[3<pipe:[1]>, 4<pipe:[1]>]")]
    [3, 4]
    """
    inner = token.strip()
    if not (inner.startswith("[") and inner.endswith("]")):
        return []
    return [f for f in (fd_of(t) for t in split_args(inner[1:-1])) if f is not None]
