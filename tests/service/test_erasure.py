"""Erasing a customer through the Desk: details gone, figures kept, nothing sent to them."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import ConcurrencyError, Desk, ValidationError, pseudonym_for
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import make_feedback

DAY = timedelta(days=1)


def test_erasure_keeps_the_figures_and_refuses_stale_writers(
    desk: Desk, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com", text="Ann's order 881"))
    desk.acknowledge(case.id, by="amy")
    desk.promises.make(
        case.id, what="Call Ann back", due_by=clock.now() + DAY, owner="amy", by="amy"
    )
    clock.advance(days=2)
    since, until = clock.now() - 10 * DAY, clock.now() + DAY
    before = (desk.reports.promises(since, until), desk.get(case.id).effort)
    seen = desk.get(case.id).version

    erasure = desk.customers.erase("ann@example.com")

    after = desk.get(case.id)
    assert after.customer == erasure.pseudonym
    assert "881" not in repr(after.events)
    assert (desk.reports.promises(since, until), after.effort) == before
    assert desk.cases_of("ann@example.com") == []
    with pytest.raises(ConcurrencyError):
        desk.take_action(case.id, by="amy", summary="Refunded", expected_version=seen)


def test_the_default_pseudonym_cannot_be_recomputed_from_the_address(desk: Desk) -> None:
    desk.listen(make_feedback(customer="ann@example.com"))
    first = desk.customers.erase("ann@example.com").pseudonym
    assert first != pseudonym_for("ann@example.com")
    assert desk.customers.erase("ann@example.com", pseudonym="customer-17").pseudonym == (
        "customer-17"
    )


def test_nothing_queued_for_an_erased_customer_is_sent(
    desk: Desk, notifier: RecordingNotifier
) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com"))
    desk.acknowledge(case.id, by="amy")
    desk.customers.erase("ann@example.com")
    desk.outbox.dispatch()
    assert notifier.sent == []
    (dead,) = desk.outbox.dead_letters()
    assert "ann@example.com" not in repr(dead)


def test_an_erasure_needs_a_handle_and_a_safe_pseudonym(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="at least one handle"):
        desk.customers.erase()
    with pytest.raises(ValidationError, match="must not contain"):
        desk.customers.erase("ann@example.com", pseudonym="was-ann@example.com")
