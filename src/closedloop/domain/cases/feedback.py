"""Feedback: one inbound item from a customer."""

from __future__ import annotations

import enum
from datetime import datetime

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.checks import aware, non_empty, require_unicode
from closedloop.domain.errors import ScoreError, ValidationError

__all__ = ["Feedback", "FeedbackKind"]

SCORE_MIN = 0
SCORE_MAX = 10


class FeedbackKind(enum.Enum):
    """What the customer is telling us; it decides which LATTE steps apply."""

    COMPLAINT = "complaint"
    QUESTION = "question"
    SUGGESTION = "suggestion"
    COMPLIMENT = "compliment"


def _check_score(instance: Feedback, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    # bool is an int subclass; True is not a score.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoreError(
            f"score must be a whole number from {SCORE_MIN} to {SCORE_MAX} or None, "
            f"got {value!r} ({type(value).__name__})"
        )
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise ScoreError(f"score must be from {SCORE_MIN} to {SCORE_MAX}, got {value}")


def _check_channel(instance: Feedback, attribute: attrs.Attribute[Channel], value: object) -> None:
    if not isinstance(value, Channel):
        raise ValidationError(
            f"channel must be a Channel (e.g. Channel.EMAIL or Channel.custom(...)), got {value!r}"
        )


def _check_kind(
    instance: Feedback, attribute: attrs.Attribute[FeedbackKind], value: object
) -> None:
    if not isinstance(value, FeedbackKind):
        choices = ", ".join(f"FeedbackKind.{k.name}" for k in FeedbackKind)
        raise ValidationError(f"kind must be one of {choices}; got {value!r}")


def _check_text(instance: Feedback, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError(f"text must be a string, got {type(value).__name__}")
    require_unicode("text", value)


def _check_optional_text(
    instance: Feedback, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is not None:
        non_empty(instance, attribute, value)


@attrs.frozen
class Feedback:
    """One inbound item: who, where, when, what they said and, optionally, a score.

    ``received_at`` must be timezone-aware. ``external_id`` is the sender's id for the
    delivery (a webhook delivery id, an email Message-ID): feedback seen twice with the
    same id makes one case. ``subject`` names the matter; without one, the first line
    of the text is used. A survey answer may carry a score and no text, but an item with
    neither text nor score says nothing and is refused. ``repeated`` is the host's flag for
    a message in which the customer had to repeat what they had told us already.
    ``matter_key`` is the host's key for the matter (an order number, a topic): new feedback
    with the key of a customer's open case joins that case (see ``Policy.consolidation``).
    """

    customer: str = attrs.field(validator=non_empty)
    channel: Channel = attrs.field(validator=_check_channel)
    received_at: datetime = attrs.field(validator=aware)
    text: str = attrs.field(default="", validator=_check_text)
    kind: FeedbackKind = attrs.field(default=FeedbackKind.COMPLAINT, validator=_check_kind)
    score: int | None = attrs.field(default=None, validator=_check_score)
    external_id: str | None = attrs.field(default=None, validator=_check_optional_text)
    subject: str | None = attrs.field(default=None, validator=_check_optional_text)
    repeated: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))
    matter_key: str | None = attrs.field(default=None, validator=_check_optional_text)

    def __attrs_post_init__(self) -> None:
        if not self.text.strip() and self.score is None:
            raise ValidationError(
                "feedback needs text or a score; got neither. "
                "Pass text='...' with what the customer said, or score=... for a survey answer"
            )

    @property
    def matter(self) -> str:
        """What this feedback is about, in a few words, for acknowledgements."""
        if self.subject:
            return self.subject
        first_line = self.text.strip().splitlines()[0] if self.text.strip() else ""
        if not first_line:
            return f"your {self.kind.value} (score {self.score})"
        return first_line if len(first_line) <= 60 else first_line[:57].rstrip() + "..."
