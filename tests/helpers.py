"""Builders shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime

from closedloop import Channel, Feedback, FeedbackKind

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def make_feedback(
    kind: FeedbackKind = FeedbackKind.COMPLAINT,
    *,
    customer: str = "mary@example.com",
    channel: Channel = Channel.WEB_FORM,
    text: str = "The Leeds store staff were rude to me",
    external_id: str | None = None,
) -> Feedback:
    return Feedback(
        customer=customer,
        channel=channel,
        received_at=START,
        text=text,
        kind=kind,
        external_id=external_id,
    )
