"""Host events end to end: a Desk, the outbox and a WebhookNotifier POSTing each event to a
real HTTP server, which checks the signature and the JSON against the shipped schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from closedloop import Desk, Subscribe, WebhookNotifier, verify_webhook
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.adapters.test_webhooks import SIGNED_AT, WHSEC, Received, received, serving
from tests.helpers import make_feedback
from tests.hostevents.support import VALIDATOR

__all__ = ["received"]  # the fixture, imported for pytest


@pytest.fixture
def url(received: Received) -> Iterator[str]:
    with serving(received, "/crm/events") as found:
        yield found


def test_events_reach_a_real_receiver_signed_and_fitting_the_schema(
    url: str, received: Received, store: InMemoryStore, clock: ManualClock
) -> None:
    webhook = WebhookNotifier(url, WHSEC, timeout=5, clock=lambda: SIGNED_AT)
    customers = RecordingNotifier()
    desk = Desk(store, customers, clock=clock, ids=SequentialIds(), events=Subscribe(webhook))
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Refunded")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Training", what_changes="Train")
    report = desk.outbox.dispatch()
    assert len(report.sent) == 9
    assert report.failed == ()
    delivered = []
    for path, headers, body in received.requests:
        assert path == "/crm/events"
        delivery = verify_webhook(headers, body, WHSEC, now=datetime.fromtimestamp(SIGNED_AT, UTC))
        document = json.loads(body)
        VALIDATOR.validate(document)
        assert delivery.id == document["id"]
        delivered.append(document["type"])
    assert sorted(delivered) == sorted(
        ["case.opened", "case.acknowledged", "case.action_taken", "case.thanked",
         "case.explained", "case.closed"]
    )  # fmt: skip
    assert [n.purpose for n in customers.sent] == ["acknowledgement", "thanks", "explanation"]


def test_a_receiver_that_fails_gets_the_same_event_again(
    url: str, received: Received, store: InMemoryStore, clock: ManualClock
) -> None:
    webhook = WebhookNotifier(url, WHSEC, timeout=5, clock=lambda: SIGNED_AT)
    desk = Desk(
        store, RecordingNotifier(), clock=clock, events=Subscribe(webhook, kinds={"case.opened"})
    )
    case = desk.listen(make_feedback())
    received.status = 503
    assert desk.outbox.dispatch().retrying == (f"{case.id}/1/case.opened",)
    received.status = 204
    clock.advance(hours=1)
    assert desk.outbox.dispatch().sent == (f"{case.id}/1/case.opened",)
    (_, one, first), (_, two, second) = received.requests
    assert first == second  # byte for byte: the same event
    ids = [{k.lower(): v for k, v in h.items()}["webhook-id"] for h in (one, two)]
    assert ids == [f"default/{case.id}/1/case.opened"] * 2
