from __future__ import annotations

from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Channel,
    ClosedLoopError,
    Feedback,
    FeedbackKind,
    NaiveDatetimeError,
    ScoreError,
    ValidationError,
)
from closedloop.testing import strategies as cls
from tests.helpers import START


def test_valid_feedback_keeps_what_it_was_given() -> None:
    fb = Feedback(
        customer="mary@example.com",
        channel=Channel.SOCIAL_MEDIA,
        received_at=START,
        text="Nobody answered my web form",
        kind=FeedbackKind.COMPLAINT,
        score=2,
        external_id="tweet-1",
    )
    assert (fb.customer, fb.channel, fb.received_at, fb.score) == (
        "mary@example.com",
        Channel.SOCIAL_MEDIA,
        START,
        2,
    )
    assert fb.matter == "Nobody answered my web form"


def test_naive_received_at_is_refused_with_what_to_do() -> None:
    with pytest.raises(NaiveDatetimeError, match="received_at must be timezone-aware") as info:
        Feedback(customer="m", channel=Channel.EMAIL, received_at=datetime(2026, 1, 1), text="x")
    assert "tzinfo" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, ClosedLoopError)


@pytest.mark.parametrize("score", [-1, 11, 100])
def test_out_of_range_score_is_refused(score: int) -> None:
    with pytest.raises(ScoreError, match="from 0 to 10"):
        Feedback(customer="m", channel=Channel.SURVEY, received_at=START, score=score)


@pytest.mark.parametrize("score", [True, 7.0, float("nan"), "7"])
def test_score_that_is_not_a_whole_number_is_refused(score: object) -> None:
    with pytest.raises(ScoreError, match="whole number"):
        Feedback(customer="m", channel=Channel.SURVEY, received_at=START, score=score)  # type: ignore[arg-type]


@given(st.integers(0, 10))
def test_every_score_in_range_is_accepted(score: int) -> None:
    fb = Feedback(customer="m", channel=Channel.SURVEY, received_at=START, score=score)
    assert fb.score == score
    assert str(score) in fb.matter


def test_feedback_with_neither_text_nor_score_says_nothing() -> None:
    with pytest.raises(ValidationError, match="needs text or a score"):
        Feedback(customer="m", channel=Channel.EMAIL, received_at=START, text="   ")


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("customer", "", "customer must be a non-empty string"),
        ("channel", "email", "channel must be a Channel"),
        ("kind", "complaint", "kind must be one of"),
        ("external_id", " ", "external_id must be a non-empty string"),
        ("text", 42, "text must be a string"),
        ("text", "caf\udce9", "text is not valid Unicode"),
        ("customer", "\ud800x", "customer is not valid Unicode"),
    ],
)
def test_each_bad_field_names_itself(field: str, value: object, message: str) -> None:
    args: dict[str, object] = {
        "customer": "m",
        "channel": Channel.EMAIL,
        "received_at": START,
        "text": "hello",
    }
    args[field] = value
    with pytest.raises(ValidationError, match=message):
        Feedback(**args)  # type: ignore[arg-type]


def test_long_first_line_is_shortened_for_the_matter() -> None:
    fb = Feedback(customer="m", channel=Channel.EMAIL, received_at=START, text="word " * 40)
    assert len(fb.matter) <= 60
    assert fb.matter.endswith("...")


@given(cls.feedback())
def test_generated_feedback_always_has_a_matter(fb: Feedback) -> None:
    assert fb.matter.strip()
    assert fb.received_at.tzinfo is not None
