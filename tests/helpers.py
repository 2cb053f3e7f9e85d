"""Builders shared by the tests."""

from __future__ import annotations

from datetime import UTC, datetime

from closedloop import Case, Channel, Desk, Feedback, FeedbackKind

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


#: The LATTE steps a test may take by name (take_action and decline are the two "act" steps).
STEPS = ("acknowledge", "take_action", "decline", "thank", "explain", "reopen")


def take_step(desk: Desk, case_id: str, step: str) -> Case:
    """Take the LATTE step named ``step`` on the case, by "amy" (reopen: by the customer)."""
    if step == "acknowledge":
        return desk.acknowledge(case_id, by="amy")
    if step == "take_action":
        return desk.take_action(case_id, by="amy", summary="Fixed it")
    if step == "decline":
        return desk.decline(case_id, by="amy", reason="Out of stock")
    if step == "thank":
        return desk.thank(case_id, by="amy")
    if step == "explain":
        return desk.explain(case_id, by="amy", what_failed="Stock", what_changes="Reorder")
    return desk.reopen(case_id, reason="Not resolved")
