"""A recursive-descent parser: tokens -> syntax tree, with dash's syntax error messages.

The grammar is POSIX's (XCU 2.10) cut down to what the shell runs::

    list      : and_or ((';' | '&' | newline) and_or)*
    and_or    : pipeline (('&&' | '||') newline* pipeline)*
    pipeline  : ['!'] command ('|' newline* command)*
    command   : '(' list ')' redirect* | '{' list '}' redirect* | simple
    simple    : (assignment | redirect)* (word | redirect)*

>>> parse_all("a | b > f")
List(items=(AndOr(first=Pipeline(commands=(Exec(assigns=(), words=(Word(raw='a'),), \
redirects=(), line=1), Exec(assigns=(), words=(Word(raw='b'),), redirects=(Redirect(fd=1, \
op='>', target=Word(raw='f'), body=None, quoted=False),), line=1)), bang=False), rest=()),))
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from iochannels.shell.errors import Incomplete, ShellSyntaxError
from iochannels.shell.syntax import (
    AndOr,
    Background,
    Command,
    Exec,
    Group,
    List,
    Pipeline,
    Redirect,
    Subshell,
    Word,
)
from iochannels.shell.tokens import Token, tokenize

__all__ = ["commands", "parse_all"]

_ASSIGN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*=")
_REDIRECT_OPS = frozenset({"<", ">", ">>", "<>", ">|", "<&", ">&", "<<", "<<-"})
_UNSUPPORTED = frozenset({"if", "then", "else", "elif", "fi", "while", "until", "for", "do",
                          "done", "case", "esac", "function"})
_EXPECTS = {"if": "then", "while": "do", "until": "do", "for": "do", "case": "in"}


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def unexpected(self) -> ShellSyntaxError:
        tok = self.tok
        if tok.kind == "eof":
            return Incomplete("end of file unexpected", tok.line)
        if tok.kind == "newline":  # dash has counted the newline read: the next line's number
            return ShellSyntaxError("newline unexpected", tok.line + 1)
        return ShellSyntaxError(f'"{tok.text}" unexpected', tok.line)

    def is_op(self, *ops: str) -> bool:
        return self.tok.kind == "op" and self.tok.text in ops

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "word" and self.tok.text in words

    def newlines(self) -> None:
        while self.tok.kind == "newline":
            self.take()

    def command_line(self) -> List | None:
        """One complete command up to a newline or the end (dash runs each as it is read)."""
        self.newlines()
        if self.tok.kind == "eof":
            return None
        body = self.list_(until_newline=True)
        if self.tok.kind not in ("newline", "eof"):
            raise self.unexpected()
        return body

    def list_(self, until_newline: bool, closer: str = "") -> List:
        items: list[AndOr | Background] = []
        while True:
            job = self.and_or()
            if self.is_op("&"):
                self.take()
                items.append(Background(job))
            else:
                items.append(job)
                if self.is_op(";"):
                    self.take()
                elif not (self.tok.kind == "newline" and not until_newline):
                    break
            if not until_newline:
                self.newlines()
            if self.tok.kind in ("newline", "eof") or self.is_op(")") or self.is_word(closer):
                break
        return List(tuple(items))

    def and_or(self) -> AndOr:
        first = self.pipeline()
        rest: list[tuple[str, Pipeline]] = []
        while self.is_op("&&", "||"):
            op = self.take().text
            self.newlines()
            rest.append((op, self.pipeline()))
        return AndOr(first, tuple(rest))

    def pipeline(self) -> Pipeline:
        bang = self.is_word("!")
        if bang:
            self.take()
        commands = [self.command()]
        while self.is_op("|"):
            self.take()
            self.newlines()
            commands.append(self.command())
        return Pipeline(tuple(commands), bang)

    def command(self) -> Command:
        if self.is_op("("):
            self.take()
            body = self.compound_body(")")
            return Subshell(body, self.redirects())
        if self.is_word("{"):
            self.take()
            body = self.compound_body("}")
            return Group(body, self.redirects())
        if self.tok.kind == "word" and self.tok.text in _UNSUPPORTED:
            word = self.tok.text
            if word in _EXPECTS:
                raise ShellSyntaxError(f"{word!r}: not supported (no loops or conditionals; "
                                       "use && and ||)", self.tok.line)
        return self.simple()

    def compound_body(self, closer: str) -> List:
        self.newlines()
        if self.is_op(")") or self.is_word("}") or self.tok.kind == "eof":
            if self.tok.kind == "eof":
                raise Incomplete(f'end of file unexpected (expecting "{closer}")', self.tok.line)
            raise self.unexpected()
        body = self.list_(until_newline=False, closer=closer)
        if (closer == ")" and self.is_op(")")) or (closer == "}" and self.is_word("}")):
            self.take()
            return body
        if self.tok.kind == "eof":
            raise Incomplete(f'end of file unexpected (expecting "{closer}")', self.tok.line)
        raise self.unexpected()

    def redirects(self) -> tuple[Redirect, ...]:
        found = []
        while self.tok.kind == "io" or self.is_op(*_REDIRECT_OPS):
            found.append(self.redirect())
        return tuple(found)

    def redirect(self) -> Redirect:
        fd = int(self.take().text) if self.tok.kind == "io" else -1
        op_tok = self.take()
        op = op_tok.text
        if fd < 0:
            fd = 0 if op in ("<", "<&", "<>", "<<", "<<-") else 1
        if self.tok.kind != "word":
            raise self.unexpected()
        target = self.take()
        literal = not any(c in target.text for c in "$`\"'\\")
        if op in ("<&", ">&") and literal and not (
                target.text == "-" or (len(target.text) == 1 and target.text.isdigit())):
            raise ShellSyntaxError("Bad fd number", target.line)  # dash: fds 0-9 only
        if op in ("<<", "<<-"):
            quoted = any(c in target.text for c in "\"'\\")
            return Redirect(fd, op, Word(target.text), target.heredoc or "", quoted)
        return Redirect(fd, op, Word(target.text))

    def simple(self) -> Exec:
        line = self.tok.line
        assigns: list[tuple[str, Word]] = []
        words: list[Word] = []
        redirects: list[Redirect] = []
        while True:
            if self.tok.kind == "io" or self.is_op(*_REDIRECT_OPS):
                redirects.append(self.redirect())
            elif self.tok.kind == "word" and not words and _ASSIGN.match(self.tok.text):
                name, _, value = self.take().text.partition("=")
                assigns.append((name, Word(value)))
            elif self.tok.kind == "word" and not (self.tok.text == "}" and not words
                                                  and not assigns and not redirects):
                words.append(Word(self.take().text))
            else:
                break
        if not (assigns or words or redirects):
            raise self.unexpected()
        return Exec(tuple(assigns), tuple(words), tuple(redirects), line)


def commands(text: str, final: bool = True) -> Iterator[List]:
    """The complete commands of ``text`` one by one, each parsed only when the previous one
    has been taken (sh runs a command before it parses the next: ``echo a; (`` prints a).
    """
    parser = _Parser(tokenize(text, final))
    while (body := parser.command_line()) is not None:
        yield body


def parse_all(text: str, final: bool = True) -> List:
    """All of ``text`` as one list (syntax errors anywhere raised before anything runs)."""
    items = [item for body in commands(text, final) for item in body.items]
    return List(tuple(items))
