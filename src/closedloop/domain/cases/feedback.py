"""Feedback: one inbound item from a customer."""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any

import attrs

from closedloop.domain.cases.channel import Channel
from closedloop.domain.cases.labels import FieldValue, field_values, tags_of
from closedloop.domain.checks import require_aware, require_key, require_text, shown
from closedloop.domain.errors import ScoreError, ValidationError

__all__ = ["Feedback", "FeedbackKind", "is_tag"]

SCORE_MIN = 0
SCORE_MAX = 10


class FeedbackKind(enum.Enum):
    """What the customer is telling us; it decides which LATTE steps apply."""

    COMPLAINT = "complaint"
    """Something went wrong: every LATTE step applies."""
    QUESTION = "question"
    """The customer asks something; answering it is the action."""
    SUGGESTION = "suggestion"
    """An idea for doing better."""
    COMPLIMENT = "compliment"
    """Praise: acknowledged and thanked, which closes the loop."""


def _check_score(instance: Feedback, attribute: attrs.Attribute[int | None], value: object) -> None:
    if value is None:
        return
    # bool is an int subclass; True is not a score.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScoreError.of(
            "score",
            f"score must be a whole number from {SCORE_MIN} to {SCORE_MAX} or None, "
            f"got {value!r} ({type(value).__name__})",
        )
    if not SCORE_MIN <= value <= SCORE_MAX:
        raise ScoreError.of("score", f"score must be from {SCORE_MIN} to {SCORE_MAX}, got {value}")


def _check_channel(instance: Feedback, attribute: attrs.Attribute[Channel], value: object) -> None:
    if not isinstance(value, Channel):
        raise ValidationError.of(
            "channel",
            f"channel must be a Channel (e.g. Channel.EMAIL or Channel.custom(...)), got {value!r}",
        )


def _check_kind(
    instance: Feedback, attribute: attrs.Attribute[FeedbackKind], value: object
) -> None:
    if not isinstance(value, FeedbackKind):
        choices = ", ".join(f"FeedbackKind.{k.name}" for k in FeedbackKind)
        raise ValidationError.of("kind", f"kind must be one of {choices}; got {value!r}")


def _check_text(instance: Feedback, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str):
        raise ValidationError.of("text", f"text must be a string, got {type(value).__name__}")
    require_text("text", value)


def _check_key(instance: Feedback, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None or attribute.name == "customer":
        require_key(attribute.name, value)


def _check_subject(
    instance: Feedback, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is not None:
        if not isinstance(value, str) or not value.strip():
            raise ValidationError.of(
                "subject", f"subject must be a non-empty string or None, got {shown(value)}"
            )
        require_text("subject", value)


def _check_repeated(instance: Feedback, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise ValidationError.of("repeated", f"repeated must be True or False, got {shown(value)}")


_LOCALE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*\Z")


def is_tag(value: object) -> bool:
    """Whether ``value`` is a language tag closedloop takes (BCP 47's shape: ``"fr-CA"``)."""
    return isinstance(value, str) and len(value) <= 35 and bool(_LOCALE.match(value))


def _check_locale(
    instance: Feedback, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is not None and not is_tag(value):
        raise ValidationError.of(
            "locale",
            "locale must be a BCP 47 language tag such as 'de' or 'fr-CA', or None; "
            f"got {shown(value)}",
        )


def _received_at(value: object) -> datetime:
    return require_aware("received_at", value)


@attrs.frozen
class Feedback:
    """One inbound item: who, where, when, what they said and, optionally, a score.

    ``received_at`` must be timezone-aware (a zone without a name a store can keep, such as
    ``ZoneInfo.from_file(...)``, becomes its fixed offset). ``customer``, ``external_id`` and
    ``matter_key`` are one line of at most 256 characters. ``external_id`` is the sender's
    id for the delivery (a webhook delivery id, an email Message-ID): feedback seen twice with the
    same id makes one case. ``subject`` names the matter; without one, the first line
    of the text is used. A survey answer may carry a score and no text, but an item with
    neither text nor score says nothing and is refused. ``repeated`` is the host's flag for
    a message in which the customer had to repeat what they had told us already.
    ``matter_key`` is the host's key for the matter (an order number, a topic): new feedback
    with the key of a customer's open case joins that case (see ``Policy.consolidation``).
    ``tags`` and ``fields`` label the case it opens or joins (see ``docs/queues.md``).
    """

    customer: str = attrs.field(validator=_check_key)
    """The customer's handle (an email address, a phone number, the host's id)."""
    channel: Channel = attrs.field(validator=_check_channel)
    """Where it arrived."""
    received_at: datetime = attrs.field(converter=_received_at)
    """When it arrived (timezone-aware)."""
    text: str = attrs.field(default="", validator=_check_text)
    """What the customer said; may be empty for a survey answer with a score."""
    kind: FeedbackKind = attrs.field(default=FeedbackKind.COMPLAINT, validator=_check_kind)
    """Complaint, question, suggestion or compliment."""
    score: int | None = attrs.field(default=None, validator=_check_score)
    """A survey score from 0 to 10, if any."""
    external_id: str | None = attrs.field(default=None, validator=_check_key)
    """The sender's id for the delivery: feedback seen twice with it makes one case."""
    subject: str | None = attrs.field(default=None, validator=_check_subject)
    """What the matter is; None to use the first line of the text."""
    repeated: bool = attrs.field(default=False, validator=_check_repeated)
    """The host's flag: the customer had to repeat what they had told us already."""
    matter_key: str | None = attrs.field(default=None, validator=_check_key)
    """The host's key for the matter: feedback with the key of an open case joins it."""
    locale: str | None = attrs.field(default=None, validator=_check_locale)
    """The customer's language as a BCP 47 tag (``"de"``, ``"fr-CA"``), for the texts they
    are sent (``Policy.locales``); None for the policy's default."""
    tags: tuple[str, ...] = attrs.field(default=(), converter=tags_of)
    """Tags the host gives the case at intake (``["billing", "vip"]``): kept lower case,
    each once, sorted; a message joining a case adds its tags to the case's."""
    fields: tuple[FieldValue, ...] = attrs.field(default=(), converter=field_values)
    """Custom fields the host sets at intake (``{"plan": "pro"}``), kept as
    :class:`FieldValue` records sorted by name; a message joining a case sets them on it."""

    def __attrs_post_init__(self) -> None:
        if not self.text.strip() and self.score is None:
            raise ValidationError.of(
                "text",
                "feedback needs text or a score; got neither. "
                "Pass text='...' with what the customer said, or score=... for a survey answer",
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
