"""Subscribing: what is refused, and what an erasure leaves of an event not yet delivered."""

from __future__ import annotations

from typing import Any

import pytest

from closedloop import Desk, HostEvent, Subscribe, ValidationError
from closedloop.hostevents import TYPES
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import make_feedback
from tests.hostevents.support import close_loop, subscribed, valid


@pytest.mark.parametrize(
    ("kwargs", "says"),
    [
        ({"handler": 3}, "must be a function taking a HostEvent"),
        ({"handler": print, "kinds": {"case.open"}}, "unknown event type 'case.open'"),
        ({"handler": print, "kinds": {"crm.*"}}, "unknown event type 'crm.*'"),
        ({"handler": print, "kinds": "case.opened"}, "kinds must be a set of event types"),
        ({"handler": print, "personal_data": "yes"}, "personal_data must be True or False"),
    ],
)
def test_a_subscription_that_cannot_work_is_refused(kwargs: dict[str, Any], says: str) -> None:
    with pytest.raises(ValidationError, match=says):
        Subscribe(**kwargs)


def test_a_desk_refuses_events_that_are_not_a_subscription(clock: ManualClock) -> None:
    with pytest.raises(ValidationError, match=r"Desk\(events=...\) must be a Subscribe"):
        Desk(InMemoryStore(), RecordingNotifier(), clock=clock, events=print)  # type: ignore[arg-type]


def test_groups_and_names() -> None:
    some = Subscribe(print, kinds={"survey.*", "case.closed"})
    assert some.wants("survey.answered")
    assert some.wants("case.closed")
    assert not some.wants("case.opened")
    assert all(Subscribe(print).wants(name) for name in TYPES)


def test_an_object_with_handle_event_is_a_handler(clock: ManualClock) -> None:
    class Crm:
        def __init__(self) -> None:
            self.got: list[HostEvent] = []

        def handle_event(self, event: HostEvent) -> None:
            self.got.append(event)

    crm = Crm()
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock, events=Subscribe(crm))
    desk.listen(make_feedback())
    desk.outbox.dispatch()
    assert [e.type for e in crm.got] == ["case.opened"]


def test_an_erasure_reaches_events_not_yet_delivered(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, _ = subscribed(
        every_store, clock, {"case.opened", "case.reopened"}, personal_data=True
    )
    case = desk.listen(make_feedback())
    close_loop(desk, case.id)
    desk.reopen(case.id, reason="Still rude")
    erasure = desk.customers.erase("mary@example.com")
    desk.outbox.dispatch()
    assert sorted(got.types()) == ["case.opened", "case.reopened"]  # still delivered
    text = "".join(e.to_json() for e in got.events)
    assert "mary@example.com" not in text
    assert "Leeds" not in text
    assert "Still rude" not in text
    opened = valid(got.of("case.opened"))["data"]
    assert opened["customer"] == erasure.pseudonym
    assert valid(got.of("case.reopened"))["data"]["by"] == erasure.pseudonym


def test_docs_events_md_lists_every_type_with_its_fields() -> None:
    """The table of docs/events.md is the catalogue's, row for row."""
    from pathlib import Path

    from closedloop.domain.hostevents.catalogue import KINDS

    page = (Path(__file__).resolve().parents[2] / "docs" / "events.md").read_text()
    for name, kind in KINDS.items():
        plain = ", ".join(f"`{f.name}`" for f in kind.fields if not f.personal) or "—"
        personal = ", ".join(f"`{f.name}`" for f in kind.fields if f.personal) or "—"
        assert f"| `{name}` | {kind.description} | {plain} | {personal} |" in page, name
