"""What the HTML report says: targets and the previous period on every tile, shares of the
queue, each declined request once, an empty period said in words, NPS dates that fit."""

from __future__ import annotations

import itertools
import re
from datetime import date, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop.domain.customers.nolog import NoLog, NoLogCategory, NoLogEntry
from closedloop.domain.surveys.scoring import nps
from closedloop.domain.surveys.survey import Answer
from closedloop.insights import Insights, NpsWeek, compute, render_html, render_text
from closedloop.testing import InMemoryStore
from tests.insights.fixture import SINCE, UNTIL, build
from tests.insights.test_formats import parse


@pytest.fixture(scope="module")
def week() -> Insights:
    store, _, _ = build()
    return compute(store, SINCE, UNTIL)


def test_every_tile_shows_its_target_and_the_previous_period(week: Insights) -> None:
    earlier = attrs.evolve(week, since=SINCE - (UNTIL - SINCE), until=SINCE)
    html = render_html(week, previous=earlier)
    tiles = parse(html).find("tile")
    assert len(tiles) == len(week.overall.kpis) == 4
    for tile in tiles:
        assert tile["data-target"] == "0.9"
        assert tile["data-previous-share"] == tile["data-share"]
    assert html.count("Target: 90% met for green, 75% for amber") == 4
    assert html.count("(no change)") == 4
    assert "Compared with the previous period: 26 October 2026 to 02 November 2026" in html
    assert "<th>Previous period</th>" in html


def test_a_previous_period_without_steps_says_so(week: Insights) -> None:
    nothing = compute(InMemoryStore(), SINCE - (UNTIL - SINCE), SINCE)
    html = render_html(week, previous=nothing)
    assert html.count("Previous period: nothing measured") == 4
    assert {t["data-previous-share"] for t in parse(html).find("tile")} == {""}


def test_without_a_previous_period_nothing_is_compared(week: Insights) -> None:
    html = render_html(week)
    assert "Previous period" not in html
    assert "previous period" not in html


def test_a_better_period_says_how_many_points(week: Insights) -> None:
    acknowledge = week.overall.kpis[0]  # 3 of 5 met
    worse = attrs.evolve(acknowledge, met=1)
    earlier = attrs.evolve(week, overall=attrs.evolve(week.overall, kpis=(worse,)))
    html = render_html(week, previous=earlier)
    assert "Previous period: 20% (1 of 5) (now 40 points higher)" in html
    assert html.count("Previous period: nothing measured") == 3
    almost = attrs.evolve(earlier, overall=attrs.evolve(week.overall, kpis=(
        attrs.evolve(acknowledge, met=61, measured=100),)))  # fmt: skip
    assert "Previous period: 61% (61 of 100) (now 1 point lower)" in render_html(
        week, previous=almost
    )


def test_the_channel_table_shows_shares_of_the_queue(week: Insights) -> None:
    html = render_html(week)
    (table,) = re.findall(r'<table id="by-channel">.*?</table>', html)
    assert "<th>Unanswered (share)</th>" in table
    waiting = {c.label for c in week.unanswered.by_channel}
    assert week.unanswered.total == 1
    for name, _ in week.by_channel:
        assert ("<td>100% (1)</td>" if name in waiting else "<td>0% (0)</td>") in re.findall(
            rf"<tr><td>{name.replace('_', ' ')}</td>.*?</tr>", table
        )[0]


def test_a_request_declined_twice_is_one_example(week: Insights) -> None:
    entry = NoLogEntry("c1", "Delivery to a second address", "policy", SINCE, "amy")
    again = attrs.evolve(entry, case_id="c2")
    other = attrs.evolve(entry, case_id="c3", asked="Evening delivery")
    log = NoLog(SINCE, UNTIL, (NoLogCategory("policy", 3, (entry, again, other)),))
    html = render_html(attrs.evolve(week, no_log=log))
    assert html.count("Delivery to a second address") == 1
    assert "\u201cDelivery to a second address\u201d; \u201cEvening delivery\u201d" in html
    text = render_text(attrs.evolve(week, no_log=log))
    assert 'e.g. "Delivery to a second address"; "Evening delivery"' in text


def test_an_empty_period_says_so_everywhere() -> None:
    html = render_html(compute(InMemoryStore(), SINCE, UNTIL))
    assert "Nothing happened in this period" in html
    assert "No standard measured a step in this period" in html
    assert "No NPS answers in this period." in html
    assert "No case opened in this period was acknowledged." in html
    assert "Nobody was waiting for an answer." in html
    for section in re.findall(r"<section .*?</section>", html):
        assert re.sub(r"<h2>.*?</h2>|<[^>]+>", "", section).strip(), section
    assert "<svg" not in html


def test_a_period_with_steps_does_not_say_nothing_happened(week: Insights) -> None:
    assert "Nothing happened" not in render_html(week)


@given(st.integers(min_value=1, max_value=60))
def test_nps_dates_fit_inside_the_chart_and_do_not_collide(count: int) -> None:
    weeks = tuple(
        NpsWeek(date(2026, 1, 5) + timedelta(weeks=n), nps([Answer(score=9)])) for n in range(count)
    )
    empty = compute(InMemoryStore(), SINCE, UNTIL)
    html = render_html(attrs.evolve(empty, nps_weekly=weeks))
    (chart,) = re.findall(r'<svg id="nps-weekly".*?</svg>', html)
    width = float(re.search(r'viewBox="0 0 (\d+) \d+"', chart).group(1))  # type: ignore[union-attr]
    dates = [
        float(x) for x in re.findall(r'<text x="([\d.]+)" y="\d+" text-anchor="middle">', chart)
    ]
    assert dates, "at least the first week is labelled"
    half = 26  # "02 Nov" at 13px is under 52 units wide
    assert all(half <= x <= width - half for x in dates)
    assert all(b - a >= 2 * half for a, b in itertools.pairwise(dates))
