"""The report as JSON (valid against its schema), HTML (self-contained, charts with the
right numbers) and text."""

from __future__ import annotations

import json
from html.parser import HTMLParser

import jsonschema
import pytest

from closedloop.insights import (
    Insights,
    compute,
    render_html,
    render_text,
    schema,
    to_dict,
    to_json,
)
from tests.insights.fixture import SINCE, UNTIL, build


@pytest.fixture(scope="module")
def week() -> Insights:
    store, _, _ = build()
    return compute(store, SINCE, UNTIL)


def test_json_follows_its_schema(week: Insights) -> None:
    document = json.loads(to_json(week))
    jsonschema.Draft202012Validator.check_schema(schema())
    jsonschema.validate(document, schema(), format_checker=jsonschema.FormatChecker())
    assert document["overall"]["opened"] == 5
    acknowledge = document["overall"]["kpis"][0]
    assert (acknowledge["target"], acknowledge["met"], acknowledge["p90_seconds"]) == (
        "acknowledge", 3, 6 * 3600,
    )  # fmt: skip
    assert document["by_channel"]["email"]["closure_rate"] == 1.0
    assert document["unanswered"]["oldest"][0]["subject"] == "Case C"


def test_the_schema_catches_a_broken_document(week: Insights) -> None:
    document = to_dict(week)
    document["overall"]["closure_rate"] = 1.5
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema())
    del document["overall"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(document, schema())


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def find(self, cls: str) -> list[dict[str, str | None]]:
        return [a for _, a in self.tags if a.get("class") == cls]


def parse(html: str) -> _Page:
    page = _Page()
    page.feed(html)
    page.close()
    return page


def test_html_is_self_contained(week: Insights) -> None:
    html = render_html(week)
    page = parse(html)
    tags = {t for t, _ in page.tags}
    assert "script" not in tags
    assert "link" not in tags
    assert "img" not in tags
    assert not [a for _, a in page.tags if "src" in a]
    assert "url(" not in html
    assert "@import" not in html
    assert ("div", "rag-tiles") in {(t, a.get("id")) for t, a in page.tags}
    charts = [a for t, a in page.tags if t == "svg"]
    assert {"nps-weekly", "time-to-acknowledge", "unanswered-by-age"} == {a["id"] for a in charts}
    # Charts scale with the page: a viewBox, no fixed width or height.
    assert all(a.get("viewbox") and "width" not in a and "height" not in a for a in charts)


def test_html_charts_carry_the_numbers(week: Insights) -> None:
    page = parse(render_html(week))
    tiles = {a["data-standard"]: (a["data-rag"], a["data-share"]) for a in page.find("tile")}
    assert tiles == {
        "acknowledge within 4 business hours": ("red", "0.6"),
        "take action within 3 business days": ("amber", "0.8"),
        "close the loop within 5 business days": ("green", "1.0"),
        # The customer's "still broken" (Fri 10:00) was answered by the explanation at 14:00.
        "reply to the customer within 1 business day": ("green", "1.0"),
    }
    bars = [(a["data-label"], a["data-count"]) for a in page.find("bar")]
    assert ("< 1h", "2") in bars
    assert ("3-7 days", "1") in bars
    (point,) = page.find("point")
    assert (point["data-week"], point["data-nps"]) == ("2026-11-02", "100.0")


def test_html_escapes_what_customers_wrote() -> None:
    from closedloop import Channel, Desk, Feedback
    from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

    store = InMemoryStore()
    clock = ManualClock(SINCE)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    desk.listen(Feedback(customer="x@example.com", channel=Channel.EMAIL, received_at=SINCE,
                         text="<script>alert(1)</script>"))  # fmt: skip
    html = render_html(compute(store, SINCE, UNTIL))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_text_names_every_part(week: Insights) -> None:
    text = render_text(week)
    for part in ("Standards", "Unanswered now: 1", "NPS +100", "Promises", "no log", "courier"):
        assert part in text
    assert "RED   acknowledge within 4 business hours" in text
