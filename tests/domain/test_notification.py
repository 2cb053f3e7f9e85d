"""Notifications a host builds itself (to try a notifier, or in its own tests) refuse what a
store would: instants without a zone, which a webhook would sign without an offset."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from closedloop import Channel, NaiveDatetimeError, Notification, ValidationError
from tests.helpers import START


def _notification(**instants: Any) -> Notification:
    return Notification(
        key="case-1/2/acknowledgement",
        case_id="case-1",
        to="mary@example.com",
        channel=Channel.EMAIL,
        purpose="acknowledgement",
        subject="We have your message",
        body="Amy is on it.",
        **{"created_at": START} | instants,
    )


@pytest.mark.parametrize("field", ["created_at", "deliver_after"])
def test_a_naive_instant_is_refused_with_its_field_named(field: str) -> None:
    """Found by a newcomer's probe: both were taken, and WebhookNotifier signed a timestamp
    without an offset."""
    with pytest.raises(NaiveDatetimeError, match=f"{field} must be timezone-aware") as caught:
        _notification(**{field: datetime(2026, 11, 23, 9, 0)})
    assert caught.value.field == field


@pytest.mark.parametrize("field", ["created_at", "deliver_after"])
def test_an_instant_that_is_not_a_datetime_is_refused(field: str) -> None:
    with pytest.raises(ValidationError, match=f"{field} must be a datetime") as caught:
        _notification(**{field: "2026-11-23T09:00:00+00:00"})
    assert caught.value.field == field


def test_a_created_at_is_required() -> None:
    with pytest.raises(ValidationError, match="created_at must be a datetime"):
        _notification(created_at=None)


def test_aware_instants_in_any_zone_are_kept_as_given() -> None:
    berlin = START.astimezone(ZoneInfo("Europe/Berlin"))
    later = berlin + timedelta(hours=8)
    notification = _notification(created_at=berlin, deliver_after=later)
    assert (notification.created_at, notification.ready_at) == (berlin, later)
    assert _notification().deliver_after is None
