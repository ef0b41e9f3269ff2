"""The HTML walkthrough in a real headless Chromium: load, step, check, screenshot.

Debian's chromium, driven by Playwright through ``executable_path``; the test
skips, saying why, when either is missing. One browser for the whole module.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from render_samples import socket_run, tcp_pair

from iochannels.render import render_snapshot, render_walkthrough

pytestmark = pytest.mark.witness("chromium")

ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-dev-shm-usage"]

# Every pair of <text> boxes in the visible SVG that intersect, as the browser measures them.
OVERLAPS_JS = """() => {
  const fig = [...document.querySelectorAll('#diagram figure')].find(f => !f.hidden);
  const boxes = [...fig.querySelectorAll('text')].map(t => {
    const b = t.getBBox(); return {x0: b.x, y0: b.y, x1: b.x + b.width, y1: b.y + b.height,
                                   s: t.textContent};
  });
  const bad = [];
  for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
    const a = boxes[i], b = boxes[j];
    if (a.x0 < b.x1 - 0.5 && b.x0 < a.x1 - 0.5 && a.y0 < b.y1 - 0.5 && b.y0 < a.y1 - 0.5)
      bad.push(a.s + ' / ' + b.s);
  }
  return bad;
}"""


def _chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        pytest.skip("chromium is not installed (Debian: apt-get install chromium)")
    return path


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    executable = _chromium()
    # A fresh profile, inside this test's own tmp_path: parallel workers' leak checks
    # watch the top of the temporary directory and must not see it.
    with tempfile.TemporaryDirectory(prefix="iochannels-chromium-", dir=tmp_path) as profile, \
            sync_api.sync_playwright() as pw:
        context = _launch(pw, profile, executable)
        try:
            yield context.new_page()
        finally:
            context.close()


def _launch(pw: Any, profile: str, executable: str) -> Any:
    """The browser; one more try when a loaded machine makes the first launch fail."""
    for attempt in (1, 2):
        try:
            return pw.chromium.launch_persistent_context(
                profile, executable_path=executable, headless=True, args=ARGS,
                viewport={"width": 1600, "height": 1000}, timeout=60_000)
        except Exception:  # playwright's launch errors have no public common base
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _state(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate("""() => ({
      step: document.body.dataset.step,
      visible: [...document.querySelectorAll('#diagram figure')].filter(f => !f.hidden)
                 .map(f => f.id),
      current: [...document.querySelectorAll('#events li.current')].map(li => li.dataset.step),
      caption: document.getElementById('caption').textContent,
      slider: document.getElementById('slider').value,
      title: document.querySelector('#diagram figure:not([hidden]) svg title').textContent,
      now: [...document.querySelectorAll('#sequence g.now')].map(g => g.dataset.seq),
    })""")
    return result


def test_walkthrough_steps_in_a_real_browser(page: Any, tmp_path: Path) -> None:
    run = socket_run()
    html = tmp_path / "walk.html"
    html.write_text(render_walkthrough(run, "html"), encoding="utf-8")
    requests: list[str] = []
    errors: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(html.as_uri())

    start = _state(page)
    assert start == {**start, "step": "0", "visible": ["step-0"], "current": ["0"], "slider": "0"}
    assert start["caption"] == "nothing open yet" and start["now"] == []

    page.click("#next")
    one = _state(page)
    assert (one["visible"], one["current"], one["slider"]) == (["step-1"], ["1"], "1")
    assert one["title"] != start["title"] and one["caption"] == "socket by 10"

    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    assert _state(page)["current"] == ["3"]
    page.keyboard.press("ArrowLeft")
    assert _state(page)["visible"] == ["step-2"]

    page.locator("#slider").fill("7")
    seven = _state(page)
    assert (seven["visible"], seven["current"]) == (["step-7"], ["7"])
    assert seven["now"] == ["7"]  # the socket sequence lights up the same call
    page.click("#prev")
    assert _state(page)["current"] == ["6"]
    page.keyboard.press("End")
    assert _state(page)["step"] == str(len(run.steps) - 1)
    assert page.locator("#next").is_disabled()

    assert page.evaluate(OVERLAPS_JS) == []  # the browser's own text metrics agree
    shot = tmp_path / "walk.png"
    page.screenshot(path=str(shot))
    assert shot.stat().st_size > 10_000
    assert errors == []
    assert all(url.startswith(("file:", "data:", "about:")) for url in requests), requests


NARROW = {"width": 1000, "height": 700}
# Where the page is scrolled, and whether the title and the diagram show in the window.
VIEW_JS = """() => {
  const seen = el => { const b = el.getBoundingClientRect();
                       return b.bottom > 0 && b.top < window.innerHeight; };
  return {scrollY: window.scrollY, title: seen(document.querySelector('header h1')),
          diagram: seen(document.getElementById('diagram'))};
}"""


def test_a_narrow_window_opens_at_the_top_and_stays_there(page: Any, tmp_path: Path) -> None:
    """Below 1100 px the event list sits under the diagram: showing the current call must
    scroll that list, never the page (it used to open scrolled past everything)."""
    html = tmp_path / "walk.html"
    html.write_text(render_walkthrough(socket_run(), "html"), encoding="utf-8")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size(NARROW)
    page.goto(html.as_uri())
    assert page.evaluate(VIEW_JS) == {"scrollY": 0, "title": True, "diagram": True}
    for _ in range(6):
        page.click("#next")
    assert page.evaluate("() => window.scrollY") == 0  # the reader's place is the reader's
    page.evaluate("() => window.scrollTo(0, 0)")
    shot = tmp_path / "narrow.png"
    page.screenshot(path=str(shot))
    _not_blank(shot)
    assert errors == []


def _not_blank(png: Path) -> None:
    """The screenshot shows something: many colours (the diagram), not one background."""
    image = pytest.importorskip("PIL.Image", reason="pillow is not installed")
    with image.open(png) as shot:
        colours = shot.convert("RGB").getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 20, colours


def test_a_snapshot_page_has_no_stepper(page: Any, tmp_path: Path) -> None:
    """One step (a live snapshot): no buttons, slider or "step 0 / 0" that do nothing."""
    html = tmp_path / "snap.html"
    html.write_text(render_snapshot(tcp_pair(), "html"), encoding="utf-8")
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.set_viewport_size(NARROW)
    page.goto(html.as_uri())
    assert page.locator("#prev, #next, #slider, #counter").count() == 0
    assert "step 0" not in page.inner_text("body")
    assert page.evaluate(VIEW_JS) == {"scrollY": 0, "title": True, "diagram": True}
    assert page.locator("#diagram figure:not([hidden]) svg").count() == 1
    assert errors == []
