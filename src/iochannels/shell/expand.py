"""Word expansion (XCU 2.6): parameters, command substitution, field splitting, pathnames,
quote removal, in that order.

A word is first cut into pieces that remember whether they were quoted and whether they
came from an expansion; only unquoted expansion results are split, and only unquoted
``*``, ``?``, ``[`` are patterns.

>>> expand_word(Word("'a b'\\"$X\\"c"), _Fake({"X": "1 2"}))
['a b1 2c']
>>> expand_word(Word("$X"), _Fake({"X": " 1  2 "}))
['1', '2']
>>> expand_word(Word("\\"\\""), _Fake({}))
['']
>>> expand_word(Word("$NOTHING"), _Fake({}))
[]
>>> expand_word(Word('x"$@"y'), _Fake({}, ["a b", "c"]))
['xa b', 'cy']
>>> expand_word(Word('"$@"'), _Fake({}))
[]
"""

from __future__ import annotations

import glob
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from iochannels.shell.errors import ShellError, ShellSyntaxError
from iochannels.shell.syntax import Word
from iochannels.shell.tokens import closing_paren

__all__ = ["Context", "environ_name", "expand_heredoc", "expand_one", "expand_word",
           "expand_words"]

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_PATTERN_CHARS = frozenset("*?[")


class Context:
    """What expansion reads: variables, special parameters, a runner for ``$(...)``, the
    positional parameters ``$1 $2 ...`` one by one (for ``$@`` and ``$*``)."""

    def __init__(self, lookup: Callable[[str], str | None],
                 substitute: Callable[[str], str],
                 positional: Callable[[], Sequence[str]] = tuple) -> None:
        self.lookup = lookup
        self.substitute = substitute
        self.positional = positional


class _Fake(Context):
    def __init__(self, values: dict[str, str], positional: Sequence[str] = ()) -> None:
        super().__init__(values.get, lambda text: "", lambda: positional)


@dataclass(frozen=True, slots=True)
class _Piece:
    text: str
    quoted: bool
    expanded: bool  # the result of an expansion (subject to field splitting if unquoted)
    # Ends a field, quoted or not: what lies between two positional parameters in "$@",
    # $@ and $* (XCU 2.5.2). Where no fields are made (assignments, redirection targets,
    # here-documents) its text, the first character of IFS, joins them, as dash does.
    brk: bool = False


class _Expander:
    def __init__(self, raw: str, ctx: Context, in_heredoc: bool = False) -> None:
        self.raw = raw
        self.ctx = ctx
        self.pos = 0
        self.pieces: list[_Piece] = []
        self.in_heredoc = in_heredoc

    def add(self, text: str, quoted: bool, expanded: bool = False) -> None:
        self.pieces.append(_Piece(text, quoted, expanded))

    def run(self) -> list[_Piece]:
        raw = self.raw
        if raw.startswith("~") and not self.in_heredoc:
            end = raw.find("/") if "/" in raw else len(raw)
            if end == 1:
                self.add(self.ctx.lookup("HOME") or "~", True)
                self.pos = 1
        while self.pos < len(raw):
            c = raw[self.pos]
            if c == "\\" and not self.in_heredoc:
                self.add(raw[self.pos + 1:self.pos + 2], True)
                self.pos += 2
            elif c == "'" and not self.in_heredoc:
                end = raw.index("'", self.pos + 1)
                self.add(raw[self.pos + 1:end], True)
                self.add("", True)  # '' is an empty field, not nothing
                self.pos = end + 1
            elif c == '"' and not self.in_heredoc:
                self.pos += 1
                self.add("", True)
                self.double_quoted()
            else:
                self.unquoted_char(c, self.in_heredoc)
        return self.pieces

    def unquoted_char(self, c: str, quoted: bool) -> None:
        if c == "$":
            self.dollar(quoted)
        elif c == "`":
            self.backquote(quoted)
        elif c == "\\" and quoted:  # in "..." and here-documents: \ quotes only $ ` \ "
            nxt = self.raw[self.pos + 1:self.pos + 2]
            keep = "$`\\\n" + ("" if self.in_heredoc else '"')
            # XCU 2.2.1: a backslash-newline is a line continuation, removed, also here.
            self.add("" if nxt == "\n" else nxt if nxt in keep else "\\" + nxt, True)
            self.pos += 2
        else:
            self.add(c, quoted)
            self.pos += 1

    def double_quoted(self) -> None:
        begin, first = self.pos, len(self.pieces) - 1  # the "" piece run() just added
        while self.pos < len(self.raw) and self.raw[self.pos] != '"':
            self.unquoted_char(self.raw[self.pos], True)
        self.pos += 1
        if self.raw[begin:self.pos - 1] in ("$@", "${@}") and len(self.pieces) == first + 1:
            # XCU 2.5.2: with no positional parameters "$@" makes zero fields, not an
            # empty one. dash does so only when the quotes hold $@ alone ("$@$x" and
            # "$@$@" are one empty field there), and so does this shell.
            del self.pieces[first]

    def backquote(self, quoted: bool) -> None:
        end = self.pos + 1
        inner: list[str] = []
        while self.raw[end] != "`":
            if self.raw[end] == "\\" and self.raw[end + 1:end + 2] in ("`", "\\", "$"):
                end += 1
            inner.append(self.raw[end])
            end += 1
        self.pos = end + 1
        self.add(self.ctx.substitute("".join(inner)), quoted, True)

    def dollar(self, quoted: bool) -> None:
        raw, i = self.raw, self.pos + 1
        nxt = raw[i:i + 1]
        if raw.startswith("((", i):
            # sh reads `$((` as arithmetic (XCU 2.6.4), never as `$( (`: this shell does
            # not do arithmetic, and says so rather than run `(1+2)` as a command.
            raise ShellError("$((...)): arithmetic expansion is not supported")
        if nxt == "(":
            end = closing_paren(raw, i + 1)
            self.pos = end
            self.add(self.ctx.substitute(raw[i + 1:end - 1]), quoted, True)
        elif nxt == "{":
            end = raw.find("}", i)
            if end < 0:
                raise ShellSyntaxError("Missing '}'", 1)
            self.pos = end + 1
            if raw[i + 1:end] in ("@", "*"):
                self.parameters(raw[i + 1], quoted)
            else:
                self.add(self.braced(raw[i + 1:end]), quoted, True)
        elif (m := _NAME.match(raw, i)) is not None:
            self.pos = m.end()
            self.add(self.ctx.lookup(m.group()) or "", quoted, True)
        elif nxt in ("@", "*"):
            self.pos = i + 1
            self.parameters(nxt, quoted)
        elif nxt and (nxt.isdigit() or nxt in "?$!#-"):
            self.pos = i + 1
            self.add(self.ctx.lookup(nxt) or "", quoted, True)
        else:
            self.add("$", quoted)
            self.pos = i

    def parameters(self, name: str, quoted: bool) -> None:
        """``$@`` and ``$*`` (XCU 2.5.2): one field per positional parameter, each then
        split if unquoted; quoted, ``"$@"`` keeps them one field each and ``"$*"`` joins
        them into one with the first character of IFS (a space if IFS is unset)."""
        params = self.ctx.positional()
        ifs = self.ctx.lookup("IFS")
        sep = " " if ifs is None else ifs[:1]
        if quoted and name == "*":
            self.add(sep.join(params), True, True)
            return
        for k, param in enumerate(params):
            if k:
                self.pieces.append(_Piece(sep, quoted, True, brk=True))
            self.add(param, quoted, True)

    def braced(self, inside: str) -> str:
        """``${NAME}``, ``${#NAME}``, ``${NAME-w}``, ``${NAME:-w}``, ``${NAME:+w}``..."""
        if inside.startswith("#") and len(inside) > 1:
            return str(len(self.ctx.lookup(inside[1:]) or ""))
        m = _NAME.match(inside) or re.match(r"[0-9?$!#@*-]", inside)
        if m is None:
            raise ShellError(f"${{{inside}}}: Bad substitution")
        name, rest = inside[:m.end()], inside[m.end():]
        value = self.ctx.lookup(name)
        if not rest:
            return value or ""
        colon = rest.startswith(":")
        op, word = rest[1 if colon else 0], rest[2 if colon else 1:]
        is_set = value is not None and (value != "" or not colon)
        if op == "-":
            return (value or "") if is_set else expand_one(Word(word), self.ctx)
        if op == "+":
            return expand_one(Word(word), self.ctx) if is_set else ""
        raise ShellError(f"${{{inside}}}: Bad substitution")


def _split(pieces: list[_Piece], ifs: str) -> list[list[_Piece]]:
    """Field splitting on IFS white space (XCU 2.6.5); quoted pieces never split."""
    fields: list[list[_Piece]] = [[]]
    for piece in pieces:
        if piece.brk:
            fields.append([])
            continue
        if piece.quoted or not piece.expanded:
            fields[-1].append(piece)
            continue
        parts = re.split(f"[{re.escape(ifs)}]+", piece.text) if ifs else [piece.text]
        for k, part in enumerate(parts):
            if k:
                fields.append([])
            if part:
                fields[-1].append(_Piece(part, False, True))
    return [f for f in fields if f]


def _glob(field: list[_Piece]) -> list[str]:
    text = "".join(p.text for p in field)
    if not any(c in _PATTERN_CHARS for p in field if not p.quoted for c in p.text):
        return [text]
    pattern = "".join(p.text if not p.quoted else glob.escape(p.text) for p in field)
    found = sorted(glob.glob(pattern))  # dotfiles only by a leading '.', as sh
    return found or [text]


def expand_word(word: Word, ctx: Context) -> list[str]:
    """The fields a word becomes as a command's argument."""
    pieces = _Expander(word.raw, ctx).run()
    ifs = ctx.lookup("IFS")
    return [f for field in _split(pieces, " \t\n" if ifs is None else ifs) for f in _glob(field)]


def expand_words(words: tuple[Word, ...], ctx: Context) -> list[str]:
    return [f for w in words for f in expand_word(w, ctx)]


def expand_one(word: Word, ctx: Context) -> str:
    """One string, no splitting or globbing: assignments and redirection targets (as dash)."""
    return "".join(p.text for p in _Expander(word.raw, ctx).run())


def expand_heredoc(body: str, ctx: Context) -> str:
    """An unquoted here-document's body: $ and ` expand, \\ quotes only $ ` \\ newline."""
    return "".join(p.text for p in _Expander(body, ctx, in_heredoc=True).run())


def environ_name(text: str) -> bool:
    return _NAME.fullmatch(text) is not None

