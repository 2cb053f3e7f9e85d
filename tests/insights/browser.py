"""Rendering a page in headless Chromium (Debian's ``chromium``) and checking its DOM there.

The report is shown in a frame of the width wanted, in a page whose script (the report has
none) checks the frame's DOM once it has loaded and writes what it found as JSON into the
page, which ``--dump-dom`` prints.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from html import escape, unescape
from pathlib import Path
from typing import Any

import pytest

_NARROWEST = 500  # headless Chromium's narrowest window
HOW = "apt-get install chromium (Debian's package) to run the report's browser tests"

# Every text element: its box inside its SVG and inside the viewport, its colour's contrast
# against the first opaque background behind it (WCAG 2 relative luminance); every section
# with something under its heading; every table with rows.
CHECK = r"""
function check(frame) {
  const doc = frame.contentDocument, win = frame.contentWindow;
  const rgb = (s) => { const m = s.match(/rgba?\(([^)]+)\)/); if (!m) return null;
    const p = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1}; };
  const lum = (c) => { const f = (v) => { v /= 255;
      return v <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const over = (top, under) => ({r: top.r * top.a + under.r * (1 - top.a),
    g: top.g * top.a + under.g * (1 - top.a), b: top.b * top.a + under.b * (1 - top.a), a: 1});
  const inside = (box, x, y) => box.left <= x && x <= box.right && box.top <= y && y <= box.bottom;
  // What is behind a text: HTML backgrounds of its ancestors, and in an SVG the last shape
  // drawn before it under its centre (a tile's rect behind its label).
  const background = (el, box) => { const layers = [];
    const svg = el.closest("svg");
    if (svg) { const x = (box.left + box.right) / 2, y = (box.top + box.bottom) / 2;
      let shape = null;
      for (const s of svg.querySelectorAll("rect,circle,ellipse,polygon,path")) {
        if (s.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING
            && inside(s.getBoundingClientRect(), x, y)) shape = s; }
      const fill = shape && rgb(win.getComputedStyle(shape).fill);
      if (fill && fill.a > 0) layers.push(fill); }
    if (!layers.length || layers[0].a < 1)
      for (let e = el; e && e.nodeType === 1; e = e.parentElement) {
        const c = rgb(win.getComputedStyle(e).backgroundColor);
        if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; } }
    let base = {r: 255, g: 255, b: 255, a: 1};
    for (const c of layers.reverse()) base = over(c, base);
    return base; };
  const width = doc.documentElement.clientWidth;
  const out = {texts: 0, clipped: [], contrast: [], empty: [], worst: 99,
    scrollWidth: doc.documentElement.scrollWidth, width: width,
    height: doc.documentElement.scrollHeight};
  for (const el of doc.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "title"].includes(el.tagName) || el.closest("title")) continue;
    const own = [...el.childNodes].filter((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own.length) continue;
    const box = el.getBoundingClientRect();
    if (!box.width || !box.height) continue;
    out.texts++;
    const what = el.tagName + ": " + el.textContent.trim().slice(0, 40);
    const svg = el.closest("svg");
    const frame = svg ? svg.getBoundingClientRect() : {left: 0, right: width};
    if (box.left < frame.left - 0.5 || box.right > frame.right + 0.5 || box.left < -0.5
        || box.right > width + 0.5 || (svg && (box.top < frame.top - 0.5
        || box.bottom > frame.bottom + 0.5)))
      out.clipped.push(what);
    const style = win.getComputedStyle(el);
    const bg = background(el, box);
    const ink = over(rgb(svg ? style.fill : style.color), bg);
    const [a, b] = [lum(ink), lum(bg)];
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    out.worst = Math.min(out.worst, Math.round(ratio * 100) / 100);
    if (ratio < 4.5) out.contrast.push(what + " " + ratio.toFixed(2) + ":1");
  }
  for (const s of doc.querySelectorAll("section")) {
    const rest = [...s.children].filter((c) => !/^H[1-6]$/.test(c.tagName));
    if (!rest.map((c) => c.textContent.trim()).join(""))
      out.empty.push("section " + s.id);
  }
  for (const t of doc.querySelectorAll("table"))
    if (!t.querySelector("tbody tr")) out.empty.push("table " + t.id);
  for (const g of doc.querySelectorAll("figure svg"))
    if (!g.querySelector("text")) out.empty.push("chart " + g.id);
  document.getElementById("browser-check").textContent = JSON.stringify(out);
}
"""


def _found() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def skip_module_without_chromium() -> None:
    """Outside CI, skip the whole module in one line when Chromium is not installed."""
    if _found() is None and os.environ.get("CI") != "true":
        pytest.skip(HOW, allow_module_level=True)


def chromium() -> str:
    """Chromium's path; under ``CI=true`` its absence fails the test, elsewhere it skips."""
    found = _found()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI: Chromium is missing; {HOW} (.ci/run installs it)")
        pytest.skip(HOW)
    return found


def _run(browser: str, page: Path, width: int, height: int, *flags: str) -> str:
    done = subprocess.run(
        [
            browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            "--no-first-run", f"--user-data-dir={page.with_suffix('.profile')}",
            f"--window-size={max(width, _NARROWEST)},{height}", *flags, page.as_uri(),
        ],
        capture_output=True, text=True, timeout=120, check=True,
    )  # fmt: skip
    return done.stdout


def _frame(html: str, width: int, height: int) -> str:
    # The report in a frame exactly `width` wide: headless Chromium's window is at least
    # 500 px, so a phone's width is the frame's (its media queries and layout follow it).
    return (
        '<!DOCTYPE html><html><body style="margin:0;background:#9e9e9e">'
        f'<iframe id="report" style="border:0;display:block;width:{width}px;height:{height}px" '
        f'onload="check(this)" srcdoc="{escape(html, quote=True)}"></iframe>'
        f'<pre id="browser-check"></pre><script>{CHECK}</script></body></html>'
    )


def check(browser: str, html: str, folder: Path, name: str, width: int) -> dict[str, Any]:
    """Open ``html`` at ``width`` CSS pixels, check its DOM, and save a full-page
    screenshot as ``folder/name-width.png``; the findings, with the screenshot's path."""
    page = folder / f"{name}-{width}.html"
    page.write_text(_frame(html, width, 900), "utf-8")
    dom = _run(browser, page, width, 900, "--dump-dom")
    found = re.search(r'<pre id="browser-check">(.+?)</pre>', dom, re.S)
    assert found is not None, f"the check did not run in Chromium: {dom[-500:]}"
    result: dict[str, Any] = json.loads(unescape(found.group(1)))
    height = min(int(result["height"]), 16000)
    page.write_text(_frame(html, width, height), "utf-8")
    shot = folder / f"{name}-{width}.png"
    _run(browser, page, width, height, f"--screenshot={shot}")
    result["screenshot"] = str(shot)
    return result
