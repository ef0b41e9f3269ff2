"""The shell's tokenizer: source text -> words, operators, io numbers and here-document bodies.

``shlex`` cannot do this: in ``2>&1`` the ``2`` is an io number, in ``2 >&1`` it is a
word, and ``a>b`` is three tokens (POSIX XCU 2.3, "Token Recognition"). Words keep their
quotes: quote removal belongs to expansion (XCU 2.6.7), which needs to know what was quoted.

>>> [t.text for t in tokenize("echo a>b 2>&1|cat")]
['echo', 'a', '>', 'b', '2', '>&', '1', '|', 'cat', '']
>>> [t.kind for t in tokenize("echo 2 >&1")][:3]
['word', 'word', 'op']
"""

from __future__ import annotations

from dataclasses import dataclass

from iochannels.shell.errors import Incomplete, ShellSyntaxError

__all__ = ["OPERATORS", "Token", "closing_paren", "tokenize"]

# Longest first: the tokenizer takes the longest operator that matches (XCU 2.3 rule 2).
OPERATORS = ("<<-", "&&", "||", ";;", "<<", ">>", "<&", ">&", "<>", ">|",
             "|", "&", ";", "<", ">", "(", ")")
_META = frozenset(" \t\n;&|<>()")


@dataclass(frozen=True, slots=True)
class Token:
    """``kind``: word, op, io (a digit just before a redirection), newline, eof."""

    kind: str
    text: str
    line: int
    heredoc: str | None = None  # the body, on the delimiter word of ``<<``


class _Scanner:
    def __init__(self, text: str, final: bool) -> None:
        self.text = text
        self.final = final
        self.pos = 0
        self.line = 1
        self.tokens: list[Token] = []
        self.pending: list[tuple[int, str, bool]] = []  # (token index, delimiter, strip tabs)

    def peek(self, ahead: int = 0) -> str:
        i = self.pos + ahead
        return self.text[i] if i < len(self.text) else ""

    def run(self) -> list[Token]:
        while self.pos < len(self.text):
            c = self.peek()
            if c in " \t":
                self.pos += 1
            elif c == "\\" and self.peek(1) == "\n":
                self.pos += 2
                self.line += 1
            elif c == "#":
                while self.pos < len(self.text) and self.peek() != "\n":
                    self.pos += 1
            elif c == "\n":
                self.tokens.append(Token("newline", "\n", self.line))
                self.pos += 1
                self.line += 1
                self.read_heredocs()
            elif c in _META:
                self.operator()
            else:
                self.word()
        if self.pending:
            self.read_heredocs()  # dash: a here-document open at the end ends there
        self.tokens.append(Token("eof", "", self.line))
        return self.tokens

    def operator(self) -> None:
        op = next(o for o in OPERATORS if self.text.startswith(o, self.pos))
        self.pos += len(op)
        self.tokens.append(Token("op", op, self.line))
        if op in ("<<", "<<-"):
            self.pending.append((len(self.tokens), "", op == "<<-"))

    def word(self) -> None:
        start, line = self.pos, self.line
        while self.pos < len(self.text) and self.peek() not in _META:
            self.skip_unit()
        text = self.text[start:self.pos].replace("\\\n", "")
        nxt = self.peek()
        if len(text) == 1 and text.isdigit() and nxt and nxt in "<>":
            self.tokens.append(Token("io", text, line))
            return
        if self.pending and self.pending[-1][1] == "" and self.pending[-1][0] == len(self.tokens):
            index, _, strip = self.pending[-1]
            self.pending[-1] = (index, text, strip)
        self.tokens.append(Token("word", text, line))

    def end_line(self) -> int:
        """The line the input ends on: where dash reports what the end left open (`echo 'a`
        then two more lines: "3: Unterminated quoted string")."""
        return self.text.count("\n") + 1

    def skip_unit(self) -> None:
        """Step over one character, or one quoted or nested part of a word."""
        c = self.peek()
        if c == "\\":
            if self.peek(1) == "\n":
                self.line += 1
            self.pos += 2 if self.pos + 1 < len(self.text) else 1
        elif c == "'":
            end = self.text.find("'", self.pos + 1)
            if end < 0:
                raise Incomplete("Unterminated quoted string", self.end_line())
            self.line += self.text.count("\n", self.pos, end)
            self.pos = end + 1
        elif c == '"':
            self.pos += 1
            while self.peek() != '"':
                if not self.peek():
                    raise Incomplete("Unterminated quoted string", self.end_line())
                if self.peek() in "\\$`":
                    self.skip_unit()
                else:
                    self.line += self.peek() == "\n"
                    self.pos += 1
            self.pos += 1
        elif c == "$" and self.peek(1) == "(":
            self.pos += 2
            self.skip_parens()
        elif c == "$" and self.peek(1) == "{":
            end = self.text.find("}", self.pos)
            if end < 0 and not self.final:  # a line read from a pipe or a terminal: the
                raise Incomplete("Missing '}'", self.line)  # `}` may be on the next one
            if end < 0:
                raise ShellSyntaxError("Missing '}'", self.line)
            self.line += self.text.count("\n", self.pos, end)
            self.pos = end + 1
        elif c == "`":
            self.pos += 1
            while self.peek() != "`":
                if not self.peek():
                    # dash's words for it
                    raise Incomplete("EOF in backquote substitution", self.end_line())
                self.pos += 2 if self.peek() == "\\" else 1
            self.pos += 1
        else:
            self.line += c == "\n"
            self.pos += 1

    def skip_parens(self) -> None:
        """Step to the ``)`` that closes a ``$(``, over quotes and nested parentheses."""
        depth = 1
        while depth:
            c = self.peek()
            if not c:
                raise Incomplete('end of file unexpected (expecting ")")', self.end_line())
            if c in "\\'\"`" or (c == "$" and self.peek(1) in "({"):
                self.skip_unit()
                continue
            depth += (c == "(") - (c == ")")
            self.line += c == "\n"
            self.pos += 1

    def read_heredocs(self) -> None:
        """Read the bodies of the here-documents opened on the line just ended (XCU 2.7.4)."""
        for index, delim, strip in self.pending:
            word = delim.replace("\\", "").replace("'", "").replace('"', "")
            body: list[str] = []
            quoted = word != delim
            continued = False  # the line before ended in `\`: this one is its tail
            while True:
                if self.pos >= len(self.text):
                    if self.final:
                        break  # dash: the end of the input ends a here-document
                    raise Incomplete(f'here-document delimited by "{word}"')
                end = self.text.find("\n", self.pos)
                # dash: a last line with no newline ends the body without one, too
                newline = "\n" if end >= 0 else ""
                end = len(self.text) if end < 0 else end
                line = self.text[self.pos:end]
                self.pos = min(end + 1, len(self.text))
                self.line += 1
                if strip and not continued:
                    line = line.lstrip("\t")
                if line == word and not continued:
                    break
                body.append(line + newline)
                # XCU 2.7.4: in an unquoted body a backslash-newline joins two lines, and
                # dash strips `<<-`'s tabs only where a line of the input begins
                tail = len(line) - len(line.rstrip("\\"))
                continued = not quoted and tail % 2 == 1
            token = self.tokens[index]
            self.tokens[index] = Token(token.kind, token.text, token.line, "".join(body))
        self.pending.clear()


def tokenize(text: str, final: bool = True) -> list[Token]:
    """The tokens of ``text``, ending with an ``eof`` token.

    Raises ``Incomplete`` where more input could finish the text (an open quote; an open
    here-document unless ``final``): the interactive shell then asks for another line.
    """
    return _Scanner(text, final).run()


def closing_paren(text: str, start: int) -> int:
    """The index just past the ``)`` that closes the ``$(`` whose body starts at ``start``."""
    scanner = _Scanner(text, True)
    scanner.pos = start
    scanner.skip_parens()
    return scanner.pos
