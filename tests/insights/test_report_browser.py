"""The HTML report in a real headless Chromium, at desktop and phone widths: no label
clipped, every text at least 4.5:1 against its background, no empty section.

Screenshots are saved under pytest's ``tmp_path`` (``--basetemp`` to choose where) and
their paths printed (``pytest -s`` shows them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from closedloop import SQLiteStore
from closedloop.cli.demo import DEMO_START, run_demo
from closedloop.insights import compute, render_html
from closedloop.testing import InMemoryStore
from tests.insights.browser import check, chromium, skip_module_without_chromium
from tests.insights.fixture import SINCE, UNTIL
from tests.insights.test_scorecards import build

skip_module_without_chromium()

WIDTHS = (1280, 375)
_SINCE, _UNTIL = DEMO_START + timedelta(days=7), DEMO_START + timedelta(days=14)


@pytest.fixture(scope="module")
def browser() -> str:
    return chromium()


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A demo database's second week against its first, an empty period, and a week of
    cases with teams and tags (tests/insights/test_scorecards.py)."""
    db = tmp_path_factory.mktemp("demo") / "demo.db"
    run_demo(db, days=14, seed=1)
    previous = _SINCE - (_UNTIL - _SINCE)
    with SQLiteStore(db) as store:
        demo = render_html(
            compute(store, _SINCE, _UNTIL), previous=compute(store, previous, _SINCE)
        )
    empty = InMemoryStore()
    teams = InMemoryStore()
    build(teams)
    return {
        "teams": render_html(compute(teams, SINCE, UNTIL)),
        "demo": demo,
        "empty": render_html(
            compute(empty, _SINCE, _UNTIL), previous=compute(empty, previous, _SINCE)
        ),
    }


def _report(found: dict[str, Any]) -> None:
    print(f"\nscreenshot: {found['screenshot']} (worst contrast {found['worst']}:1)")


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("name", ["demo", "empty", "teams"])
def test_the_report_reads_well_in_a_browser(
    browser: str, reports: dict[str, str], tmp_path: Path, name: str, width: int
) -> None:
    found = check(browser, reports[name], tmp_path, name, width)
    _report(found)
    assert found["texts"] > 30  # the check saw the page's text
    assert found["clipped"] == []
    assert found["contrast"] == []
    assert found["worst"] >= 4.5
    assert found["empty"] == []
    assert found["scrollWidth"] <= found["width"], "the page scrolls sideways"
    assert Path(found["screenshot"]).stat().st_size > 10_000


def test_the_check_sees_clipping_low_contrast_and_empty_sections(
    browser: str, tmp_path: Path
) -> None:
    bad = (
        "<!DOCTYPE html><html><body><section id='tiles'><h2>Standards</h2>"
        "<p style='background:#f9a825;color:#fff'>AMBER 80%</p></section>"
        "<section id='blank'><h2>Charts</h2><div></div></section>"
        "<figure><svg id='cut' viewBox='0 0 100 40' width='100'>"
        "<text x='80' y='20'>02 Nov 2026</text></svg></figure></body></html>"
    )
    found = check(browser, bad, tmp_path, "bad", 375)
    assert found["clipped"] == ["text: 02 Nov 2026"]
    assert found["contrast"] == ["P: AMBER 80% 1.97:1"]
    assert found["empty"] == ["section blank"]
