"""Names from the outside world (paths, program names, words) as the shell's own messages
show them: control characters and bytes that are not UTF-8 escaped, the rest as typed.

The shell's messages go to a terminal; a file named ``a\\x1b[2J`` must not clear it when
``cat < $name`` fails. The rule is lsof's (lsof(8), "OUTPUT"): ``\\n``, ``\\t``, ``\\r``,
``\\b``, ``\\f`` by name, any other control character (C0, DEL, C1) as ``\\xNN``; an
undecodable byte (kept as a surrogate by ``surrogateescape``) as ``\\xNN`` too. What the
programs themselves write is never touched.
"""

from __future__ import annotations

__all__ = ["shown"]

_NAMED = {"\n": "\\n", "\t": "\\t", "\r": "\\r", "\b": "\\b", "\f": "\\f"}


def _escape(ch: str) -> str:
    if ch in _NAMED:
        return _NAMED[ch]
    code = ord(ch)
    if 0xDC80 <= code <= 0xDCFF:  # a byte surrogateescape could not decode
        return f"\\x{code - 0xDC00:02x}"
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    return ch


def shown(text: str) -> str:
    r"""``text`` with control characters and undecodable bytes escaped.

    >>> shown("a\x1b[2Jb\nc")
    'a\\x1b[2Jb\\nc'
    >>> shown("caf\udce9 \u00e9")
    'caf\\xe9 é'
    >>> shown("[red]plain[/red]")
    '[red]plain[/red]'
    """
    if text.isprintable():
        return text
    return "".join(_escape(ch) for ch in text)
