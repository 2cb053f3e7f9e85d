"""Survey kinds, their scales and bands, surveys and answers: NPS, CSAT, CES and CES 2.0.

Pure: no I/O, no clock. Scores are whole numbers on the kind's scale; a bool, a float
(even ``7.0``), NaN, a string or an off-scale number is a :class:`ScoreError` naming the
scale.

=========  =======  ============  ==========================  =========================
kind       scale    high is good  category bands              default "low" threshold
=========  =======  ============  ==========================  =========================
NPS        0-10     yes           detractor 0-6, passive 7-8,  score <= 6
                                  promoter 9-10
CSAT       1-5      yes           dissatisfied 1-2, neutral   score <= 2
                                  3, satisfied 4-5
CES        1-5      no            low effort 1-2, neutral 3,  score >= 4
           (effort)               high effort 4-5
CES2       1-7      yes           high effort 1-3, neutral    score <= 3
           (easy)                 4, low effort 5-7
=========  =======  ============  ==========================  =========================

The category bands are the standard ones and fixed; the "low" threshold (what triggers a
recovery) is configurable per :class:`Survey`. Scoring a set of answers is in
:mod:`closedloop.domain.surveys.scoring`.
"""

from __future__ import annotations

import enum
from typing import Any

import attrs

from closedloop.domain.checks import non_empty
from closedloop.domain.errors import ScoreError, ValidationError

__all__ = [
    "Answer",
    "AnswerStatus",
    "Effort",
    "NpsCategory",
    "Satisfaction",
    "Survey",
    "SurveyKind",
]


class NpsCategory(enum.Enum):
    """Where an NPS score falls: detractor 0-6, passive 7-8, promoter 9-10."""

    PROMOTER = "promoter"
    PASSIVE = "passive"
    DETRACTOR = "detractor"


class Satisfaction(enum.Enum):
    """Where a CSAT score falls: dissatisfied 1-2, neutral 3, satisfied 4-5."""

    SATISFIED = "satisfied"
    NEUTRAL = "neutral"
    DISSATISFIED = "dissatisfied"


class Effort(enum.Enum):
    """How much effort a CES score says: CES low 1-2, neutral 3, high 4-5;
    CES2 high 1-3, neutral 4, low 5-7."""

    LOW = "low"
    NEUTRAL = "neutral"
    HIGH = "high"


class SurveyKind(enum.Enum):
    """The four survey kinds, each with its scale and direction."""

    NPS = "nps"
    """Net Promoter Score: 0-10, high is good."""
    CSAT = "csat"
    """Customer satisfaction: 1-5, high is good."""
    CES = "ces"
    """Customer effort: 1-5, high is much effort (bad)."""
    CES2 = "ces2"
    """Customer effort, second form: 1-7, high is little effort (good)."""

    @property
    def scale(self) -> tuple[int, int]:
        """The lowest and highest score, both inclusive."""
        return _SCALE[self]

    @property
    def high_is_good(self) -> bool:
        """True when a higher score is a happier customer (False only for CES)."""
        return self is not SurveyKind.CES

    @property
    def default_low_threshold(self) -> int:
        """NPS 6, CSAT 2, CES 4, CES2 3 (see :meth:`is_low`)."""
        return _DEFAULT_LOW[self]

    @property
    def label(self) -> str:
        """A short human name with the scale, e.g. ``'NPS (0-10)'``."""
        low, high = self.scale
        return f"{self.name} ({low}-{high})"

    def check(self, score: object, *, where: str = "", field: str = "score") -> int:
        """Return ``score`` if it is a whole number on this scale, else raise ``ScoreError``.

        ``where`` names the survey or answer in the message; ``field`` is the error's field
        (the argument that held the score).
        """
        low, high = self.scale
        prefix = f"{where}: " if where else ""
        expected = f"{prefix}{self.label} scores are whole numbers from {low} to {high}"
        # bool is an int subclass; True is not a score. 7.0 is refused too: a float
        # score means the caller's data went through something lossy.
        if isinstance(score, bool) or not isinstance(score, int):
            raise ScoreError.of(field, f"{expected}; got {score!r} ({type(score).__name__})")
        if not low <= score <= high:
            raise ScoreError.of(field, f"{expected}; got {score}, which is off the scale")
        return score

    def is_low(self, score: int, threshold: int | None = None) -> bool:
        """True for a detractor / dissatisfied / high-effort score.

        With ``high_is_good`` the score is low when ``score <= threshold``; for CES
        (low is good) when ``score >= threshold``. ``threshold`` defaults to
        :attr:`default_low_threshold`.
        """
        score = self.check(score)
        if threshold is None:
            threshold = self.default_low_threshold
        limit = self.check(threshold, field="threshold")
        return score <= limit if self.high_is_good else score >= limit

    def category(self, score: int) -> NpsCategory | Satisfaction | Effort:
        """The standard band of ``score``: NpsCategory for NPS, Satisfaction for CSAT,
        Effort for CES and CES2 (see the module's table)."""
        score = self.check(score)
        if self is SurveyKind.NPS:
            if score >= 9:
                return NpsCategory.PROMOTER
            return NpsCategory.PASSIVE if score >= 7 else NpsCategory.DETRACTOR
        if self is SurveyKind.CSAT:
            if score >= 4:
                return Satisfaction.SATISFIED
            return Satisfaction.NEUTRAL if score == 3 else Satisfaction.DISSATISFIED
        if self is SurveyKind.CES:
            if score <= 2:
                return Effort.LOW
            return Effort.NEUTRAL if score == 3 else Effort.HIGH
        if score >= 5:
            return Effort.LOW
        return Effort.NEUTRAL if score == 4 else Effort.HIGH


_SCALE = {
    SurveyKind.NPS: (0, 10),
    SurveyKind.CSAT: (1, 5),
    SurveyKind.CES: (1, 5),
    SurveyKind.CES2: (1, 7),
}
_DEFAULT_LOW = {
    SurveyKind.NPS: 6,
    SurveyKind.CSAT: 2,
    SurveyKind.CES: 4,
    SurveyKind.CES2: 3,
}


def _check_kind(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, SurveyKind):
        choices = ", ".join(f"SurveyKind.{k.name}" for k in SurveyKind)
        raise ValidationError.of(
            attribute.name, f"{attribute.name} must be one of {choices}; got {value!r}"
        )


def _default_threshold(survey: Survey) -> int:
    kind = survey.kind
    # An invalid kind is reported by its own validator, which runs first.
    return kind.default_low_threshold if isinstance(kind, SurveyKind) else 0


def _check_threshold(instance: Survey, attribute: attrs.Attribute[int], value: object) -> None:
    try:
        instance.kind.check(value, where=f"survey {instance.name!r}")
    except ScoreError as exc:
        raise ScoreError.of(attribute.name, f"low_threshold is not on the scale: {exc}") from None


@attrs.frozen
class Survey:
    """A survey definition: its name, kind, the question shown, and when a score is low.

    ``low_threshold`` decides :meth:`is_low`, the recovery trigger; it defaults to the
    kind's (NPS <= 6, CSAT <= 2, CES >= 4, CES2 <= 3) and must lie on the scale.
    """

    name: str = attrs.field(validator=non_empty)
    """The survey's name, unique among the host's surveys (`"post-case nps"`)."""
    kind: SurveyKind = attrs.field(validator=_check_kind)
    """NPS, CSAT, CES or CES2: the scale and its direction."""
    question: str = attrs.field(validator=non_empty)
    """The question shown to the customer."""
    low_threshold: int = attrs.field(
        default=attrs.Factory(_default_threshold, takes_self=True), validator=_check_threshold
    )
    """The score at or beyond which an answer is low and triggers a recovery."""

    def check(self, score: object, *, field: str = "score") -> int:
        """Return ``score`` if it is a whole number on this survey's scale, else raise a
        ``ScoreError`` whose ``field`` is ``field``."""
        return self.kind.check(score, where=f"survey {self.name!r}", field=field)

    def is_low(self, score: int) -> bool:
        """True when ``score`` should trigger a recovery (detractor, dissatisfied, high effort)."""
        return self.kind.is_low(self.check(score), self.low_threshold)

    def category(self, score: int) -> NpsCategory | Satisfaction | Effort:
        """The standard band of ``score`` (see :meth:`SurveyKind.category`)."""
        return self.kind.category(self.check(score))

    def answer(self, score: int) -> Answer:
        """An answered :class:`Answer`, its score checked against this survey's scale."""
        return Answer(self.check(score))


class AnswerStatus(enum.Enum):
    """Whether the customer gave a score, skipped the question, or dismissed the survey."""

    ANSWERED = "answered"
    SKIPPED = "skipped"
    DISMISSED = "dismissed"


def _check_answer_score(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise ScoreError.of(
            "score",
            f"an answer's score must be a whole number; got {value!r} ({type(value).__name__})",
        )


def _check_status(instance: Any, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, AnswerStatus):
        raise ValidationError.of("status", f"status must be an AnswerStatus; got {value!r}")


@attrs.frozen
class Answer:
    """One response: ``Answer(9)``, ``Answer.skipped()`` or ``Answer.dismissed()``.

    An answered answer has a score; a skipped or dismissed one has none. The score's range
    is checked against the kind when the answer is scored (or use :meth:`Survey.answer`).
    """

    score: int | None = attrs.field(validator=_check_answer_score)
    """The score; None when skipped or dismissed."""
    status: AnswerStatus = attrs.field(default=AnswerStatus.ANSWERED, validator=_check_status)
    """Answered, skipped or dismissed."""

    def __attrs_post_init__(self) -> None:
        if self.status is AnswerStatus.ANSWERED and self.score is None:
            raise ScoreError.of(
                "score",
                "an answered Answer needs a score; use Answer.skipped() or Answer.dismissed() "
                "for a response without one",
            )
        if self.status is not AnswerStatus.ANSWERED and self.score is not None:
            raise ValidationError.of(
                "score", f"a {self.status.value} answer has no score; got {self.score!r}"
            )

    @classmethod
    def skipped(cls) -> Answer:
        """The customer saw the question and skipped it."""
        return cls(None, AnswerStatus.SKIPPED)

    @classmethod
    def dismissed(cls) -> Answer:
        """The customer dismissed the survey without answering."""
        return cls(None, AnswerStatus.DISMISSED)

    @property
    def answered(self) -> bool:
        """True when the answer carries a score."""
        return self.status is AnswerStatus.ANSWERED
