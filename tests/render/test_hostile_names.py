"""Every view, fed hostile names: they are shown as data, never as markup or terminal control.

The expectations come from outside the code: lsof and ``ls -b`` write a newline as ``\\n``
and ESC as ``\\x1b``; a table row is one line whatever a name holds, so a view of a hostile
model has exactly as many lines as the same view of a model named ``plain``; rich styling is
the only escape sequence a coloured table may hold; SVG parses as XML, HTML has the elements
of the plain page and no more, graphviz accepts the DOT, JSON loads and gives the name back.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import xml.etree.ElementTree as ET

import pytest
from hostile import (
    KNOWN,
    acting,
    hostile_names,
    hostile_run,
    hostile_snapshot,
    html_tags,
    without_styles,
)
from hypothesis import HealthCheck, example, given, settings
from rich.console import Console

from conftest import need_program
from iochannels.demos.base import Say, Table
from iochannels.demos.console import ConsolePrinter
from iochannels.render import render_graph, render_snapshot, render_walkthrough
from iochannels.render.names import shown
from iochannels.render.text import snapshot_text, summary_text
from iochannels.render.trace import step_text, trace_text

VIEWS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PLAIN = "plain"


def _lines(text: str) -> int:
    return len(text.split("\n"))


def _examples(test):  # type: ignore[no-untyped-def]
    for name in KNOWN:
        test = example(name)(test)
    return test


@VIEWS
@given(hostile_names)
@_examples
def test_text_table_shows_names_escaped_one_row_each(name: str) -> None:
    wide = 100_000  # nothing shortened: the whole escaped name must be there
    for color in (False, True):
        out = snapshot_text(hostile_snapshot(name), width=wide, color=color)
        plain = snapshot_text(hostile_snapshot(PLAIN), width=wide, color=color)
        visible = without_styles(out)
        assert acting(visible) == []
        assert _lines(out) == _lines(plain)
        assert shown(name) in visible  # "[red]" stays text: rich drew no markup of it
        assert "[eventfd]" in visible
    summary = summary_text(hostile_snapshot(name))
    assert acting(summary) == []
    assert _lines(summary) == _lines(summary_text(hostile_snapshot(PLAIN)))


@VIEWS
@given(hostile_names)
@_examples
def test_text_table_at_a_narrow_width_never_leaks_a_control(name: str) -> None:
    for color in (False, True):
        out = without_styles(snapshot_text(hostile_snapshot(name), width=60, color=color))
        assert acting(out) == []


@VIEWS
@given(hostile_names)
@_examples
def test_graph_text_shows_names_escaped(name: str) -> None:
    out = render_graph(hostile_snapshot(name), "text")
    assert acting(out) == []
    assert _lines(out) == _lines(render_graph(hostile_snapshot(PLAIN), "text"))


@VIEWS
@given(hostile_names)
@_examples
def test_svg_is_xml_and_shows_no_control(name: str) -> None:
    for out in (render_snapshot(hostile_snapshot(name), "svg"),
                render_graph(hostile_snapshot(name), "svg"),
                render_walkthrough(hostile_run(name), "svg")):
        ET.fromstring(out)
        assert acting(out) == []


@VIEWS
@given(hostile_names)
@_examples
def test_html_has_the_plain_pages_elements_and_no_control(name: str) -> None:
    for draw in (lambda n: render_snapshot(hostile_snapshot(n), "html"),
                 lambda n: render_graph(hostile_snapshot(n), "html"),
                 lambda n: render_walkthrough(hostile_run(n), "html")):
        out = draw(name)
        assert acting(out) == []
        assert html_tags(out) == html_tags(draw(PLAIN))


@VIEWS
@given(hostile_names)
@_examples
def test_mermaid_keeps_one_statement_per_line(name: str) -> None:
    for draw in (lambda n: render_snapshot(hostile_snapshot(n), "mermaid"),
                 lambda n: render_walkthrough(hostile_run(n), "mermaid")):
        out = draw(name)
        assert acting(out) == []
        assert _lines(out) == _lines(draw(PLAIN))
        # a label is one quoted string: a quote of the name never ends it early, and a
        # backtick never makes it a Markdown string
        assert all(line.count('"') % 2 == 0 for line in out.splitlines())
        assert "`" not in out


@VIEWS
@given(hostile_names)
@_examples
def test_json_is_valid_ascii_and_gives_the_exact_name_back(name: str) -> None:
    out = render_snapshot(hostile_snapshot(name), "json")
    assert out.isascii()  # \uXXXX escapes: valid JSON text whatever the name holds
    doc = json.loads(out)
    procs = {p["pid"]: p for p in doc["processes"]}
    assert procs[101]["name"] == name and procs[101]["argv"] == [name, "--flag", name]
    chans = {c["id"]: c for c in doc["channels"]} if isinstance(doc["channels"], list) \
        else doc["channels"]
    assert chans[f"file:{name}"]["label"] == name
    assert chans["socket:[5]"]["remote"] == f"@{name}"
    # a byte that was not UTF-8 comes back as the same byte (PEP 383)
    assert os.fsencode(procs[101]["name"]) == os.fsencode(name) if "\x00" not in name else True
    run = json.loads(render_walkthrough(hostile_run(name), "json"))
    assert run["title"] == name


@VIEWS
@given(hostile_names)
@_examples
def test_trace_lines_write_out_what_a_producer_left_raw(name: str) -> None:
    run = hostile_run(name)
    plain = hostile_run(PLAIN)
    for out, base in ((trace_text(run), trace_text(plain)),
                      (render_walkthrough(run, "text", width=100_000),
                       render_walkthrough(plain, "text", width=100_000)),
                      (step_text(run.steps[1], name), step_text(plain.steps[1], PLAIN))):
        assert acting(out) == []
        assert _lines(out) == _lines(base)


@VIEWS
@given(hostile_names)
@_examples
def test_demo_narration_shows_names_as_text(name: str) -> None:
    for terminal in (False, True):
        buf = io.StringIO()
        printer = ConsolePrinter(Console(file=buf, width=200, force_terminal=terminal,
                                         color_system="standard" if terminal else None))
        printer(Say(f"the FIFO {name} is open"))
        printer(Table(f"fds of {name}", ("fd", name), ((name, f"[bold]{name}"),)))
        printer.facts({"path": name, "holders": {name: [3, 4]}})
        out = without_styles(buf.getvalue())
        assert acting(out) == []
        assert "[bold]" in out  # a cell is text, not markup


@settings(max_examples=12, deadline=None)
@given(hostile_names)
@_examples
def test_graphviz_accepts_the_dot(name: str) -> None:
    exe = need_program("dot")
    for out in (render_snapshot(hostile_snapshot(name), "dot"),
                render_walkthrough(hostile_run(name), "dot")):
        assert acting(out) == []
        run = subprocess.run([exe, "-Tsvg"], input=out.encode(), capture_output=True,
                             timeout=60, check=False)
        assert run.returncode == 0 and run.stderr == b"", run.stderr.decode(errors="replace")
        ET.fromstring(run.stdout)


@pytest.mark.parametrize("name", ["a[/file", "[red]alert.txt", "[eventfd]"])
def test_markup_in_a_cell_neither_raises_nor_styles(name: str) -> None:
    """On main, ``a[`` raised rich's MarkupError, ``[eventfd]`` printed as a blank cell and
    ``[red]alert.txt`` turned red."""
    out = snapshot_text(hostile_snapshot(name), width=200, color=True)
    assert name in without_styles(out)
    assert "\x1b[31m" + "alert" not in out


@VIEWS
@given(hostile_names)
@_examples
def test_the_tour_report_shows_names_as_text(name: str) -> None:
    """The report's HTML of a demo: narration, tables and captions escape what they quote."""
    from iochannels.demos.report_parts import blocks_html

    def page(n: str) -> str:
        return blocks_html([Say(f"the FIFO {n} is open"),
                            Table(f"fds of {n}", ("fd", n), ((n, f"<b>{n}</b>"),))])

    out = page(name)
    assert acting(out) == []
    assert html_tags(out) == html_tags(page(PLAIN))
