"""Hostile names, for every view's tests: what a file, a socket or a program may be called.

A name is whatever bytes its maker chose: control characters (a newline that would split a
table row, ``ESC ] 0 ; title BEL`` that retitles a terminal, ``ESC [2J`` that clears it),
rich markup (``[red]``, a lone ``[``), XML and Mermaid specials, bytes that are not UTF-8
(kept by ``os.fsdecode`` as lone surrogates, PEP 383), bidirectional overrides, and length.
``hostile_names`` draws them; ``hostile_snapshot`` and ``hostile_run`` put one name in every
place of the model a view draws; the checks say what no view may let through.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from html.parser import HTMLParser

from hypothesis import strategies as st

from iochannels.model import (
    Buffer,
    BufferRole,
    Channel,
    Event,
    FdEntry,
    Kind,
    Process,
    Snapshot,
    Step,
    Walkthrough,
)

# The names the issue found, and their siblings; every hypothesis run tries these first.
KNOWN = (
    "a[/file", "[red]alert.txt", "[eventfd]", "[/]", "[bold", "\\[red]", ":smile:",
    "\x1b]0;TITLE\x07", "\x1b[2J", "sock\nx", "bad\udcff.txt", "\udcc3(", "tab\there",
    "cr\rover", "\x00abstract\x1bname", "\u202eevil\u202c", "line\u2028sep", "\x9b31m",
    '<b>&amp;"quoted"</b>', "#35;;%%{init}%%", "`**bold**`", "back\\slash\\", "é✓文 🙂",
    "/" + "/".join(["x" * 40] * 30),
)

_ALPHABET = st.one_of(
    st.characters(min_codepoint=0, max_codepoint=0x7F),  # ASCII, control characters too
    st.characters(min_codepoint=0x80, max_codepoint=0x9F),  # C1 controls (0x9b is a CSI)
    st.characters(min_codepoint=0xDC80, max_codepoint=0xDCFF),  # a byte that was not UTF-8
    st.sampled_from("[]/\\\"'`<>&#;:{}|%*\n\r\t\x1b\x07\u202e\u2066\u2028\u200b\ufffe\uffff\U0010fffeé文🙂"),
)

hostile_names = st.one_of(
    st.sampled_from(KNOWN),
    st.text(_ALPHABET, min_size=1, max_size=40),
    st.text(_ALPHABET, min_size=200, max_size=400),  # very long
)

_SGR = re.compile(r"\x1b\[[0-9;]*m")
# What moves the cursor, reorders or hides text: controls, format characters (bidi
# overrides, zero widths), line and paragraph separators, surrogates (raw invalid UTF-8).
_ACTING = {"Cc", "Cf", "Zl", "Zp", "Cs"}


def acting(out: str, allowed: str = "\n") -> list[str]:
    """The characters of a view's output that would act on a terminal instead of showing."""
    return [repr(ch) for ch in out
            if ch not in allowed and unicodedata.category(ch) in _ACTING]


def without_styles(out: str) -> str:
    """Output of rich with its own styling (SGR ``ESC [ ... m``) taken out; anything else
    that starts with ESC stays, for ``acting`` to find."""
    return _SGR.sub("", out)


def hostile_snapshot(name: str, source: str = "live") -> Snapshot:
    """Two processes named ``name`` sharing a pipe, a FIFO, a UNIX connection and a file,
    all called ``name``; ``name`` is also in argv, an address, a detail and a note."""
    sockets = (
        Channel("socket:[5]", Kind.UNIX_STREAM, name, "CONNECTED", name, f"@{name}", "socket:[6]",
                (Buffer(BufferRole.SEND, 212992, 0), Buffer(BufferRole.RECV, 212992, 10)),
                {"path": name}),
        Channel("socket:[6]", Kind.UNIX_STREAM, f"@{name}", "CONNECTED", f"@{name}", name,
                "socket:[5]",
                (Buffer(BufferRole.SEND, 212992, 10), Buffer(BufferRole.RECV, 212992, 0))),
    )
    channels = {
        "pipe:[1]": Channel("pipe:[1]", Kind.PIPE, "pipe",
                            buffers=(Buffer(BufferRole.PIPE, 65536, 14),)),
        f"fifo:{name}": Channel(f"fifo:{name}", Kind.FIFO, name, local=name,
                                buffers=(Buffer(BufferRole.PIPE, 65536, 0),)),
        f"file:{name}": Channel(f"file:{name}", Kind.FILE, name, local=name,
                                # "size" last: a name "size" must not unmake the file's size
                                detail={name: name, "size": "14"}),
        "anon:1": Channel("anon:1", Kind.ANON, "[eventfd]"),
        **{c.id: c for c in sockets},
    }
    writer = Process(101, name, (name, "--flag", name), (
        FdEntry(1, "pipe:[1]", "w"), FdEntry(3, f"fifo:{name}", "w"),
        FdEntry(4, f"file:{name}", "r", offset=0), FdEntry(5, "socket:[5]", "rw"),
        FdEntry(6, "anon:1", "rw")), 1, "sleeping")
    reader = Process(102, name, (name,), (
        FdEntry(0, "pipe:[1]", "r"), FdEntry(3, f"fifo:{name}", "r"),
        FdEntry(5, "socket:[6]", "rw")), 101, "sleeping")
    return Snapshot((writer, reader), channels, source,  # type: ignore[arg-type]
                    notes=(f"a note about {name}",))


def hostile_run(name: str) -> Walkthrough:
    """A walkthrough whose title, captions, events and pictures all hold ``name``; one event
    quotes it naively, as a careless producer might (the views must still escape it)."""
    snap = hostile_snapshot(name, "sim")
    events = (
        Event(1, 101, "open", (f'"{name}"', "O_RDONLY"), 4, note=name),
        Event(2, 101, "write", (1, f'"{name}"', len(name)), len(name)),
        Event(3, 102, "connect", (5, f'"{name}"'), 0),
        Event(4, 102, "read", (0, 100), None, blocked=True),
    )
    steps = (Step(snap, None, f"start: {name}"),
             *(Step(snap, e, f"after {e.call}: {name}") for e in events))
    # the description is the project's own prose: its line breaks are kept
    return Walkthrough(name, steps, "about the run\nsecond line", (f"note {name}",))


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1


def html_tags(page: str) -> Counter[str]:
    """How many of each element the page has, as an HTML parser reads it."""
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser.tags
