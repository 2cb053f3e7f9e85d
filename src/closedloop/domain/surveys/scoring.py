"""Scoring a set of answers: NPS with its 95% interval, CSAT and CES (or CES 2.0).

Pure: no I/O, no clock. Answers are counted score by score in constant memory, so a stream of
any length can be scored; every score is checked against the kind's scale (a
:class:`ScoreError` names the answer). Skipped and dismissed answers are counted apart and never
enter a denominator. The kinds, their scales and their category bands are in
:mod:`closedloop.domain.surveys.survey`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import attrs

from closedloop.domain.checks import require_count
from closedloop.domain.errors import ValidationError
from closedloop.domain.surveys.survey import Answer, AnswerStatus, Effort, Survey, SurveyKind

__all__ = ["CesResult", "CsatResult", "NpsResult", "ces", "csat", "nps"]

# 95% two-sided normal quantile.
_Z95 = 1.96
DEFAULT_SMALL_SAMPLE = 30


@attrs.frozen
class _Tally:
    # How many answers gave each score, indexed by score: constant memory however many
    # answers stream through.
    counts: tuple[int, ...]
    skipped: int
    dismissed: int

    @property
    def n(self) -> int:
        return sum(self.counts)

    def between(self, low: int, high: int) -> int:
        return sum(self.counts[low : high + 1])

    @property
    def total(self) -> int:
        return sum(score * count for score, count in enumerate(self.counts))


def _tally(answers: Iterable[Answer], kind: SurveyKind) -> _Tally:
    counts = [0] * (kind.scale[1] + 1)
    skipped = dismissed = 0
    for index, answer in enumerate(answers):
        if not isinstance(answer, Answer):
            raise ValidationError.of(
                "answers",
                f"answer {index} must be an Answer (e.g. Answer(9) or Answer.skipped()); "
                f"got {answer!r}",
            )
        if answer.status is AnswerStatus.SKIPPED:
            skipped += 1
        elif answer.status is AnswerStatus.DISMISSED:
            dismissed += 1
        else:
            counts[kind.check(answer.score, where=f"answer {index}", field="answers")] += 1
    return _Tally(tuple(counts), skipped, dismissed)


@attrs.frozen
class NpsResult:
    """Net Promoter Score of a set of answers."""

    score: float | None
    """% promoters minus % detractors, from -100 to 100; None with no scored answer."""
    promoters: int
    """Answers scoring 9-10."""
    passives: int
    """Answers scoring 7-8."""
    detractors: int
    """Answers scoring 0-6."""
    skipped: int
    """Answers that skipped the question."""
    dismissed: int
    """Surveys dismissed without an answer."""
    adjusted: float | None
    """The adjusted-Wald estimate the interval is centred on; None with no scored answer."""
    low: float | None
    """The low end of the 95% interval; None with no scored answer."""
    high: float | None
    """The high end of the 95% interval; None with no scored answer."""
    small_sample: bool
    """True when fewer answers than the threshold were scored: read the score with care."""

    @property
    def answered(self) -> int:
        """Answers with a score: the denominator."""
        return self.promoters + self.passives + self.detractors


def nps(answers: Iterable[Answer], *, small_sample_below: int = DEFAULT_SMALL_SAMPLE) -> NpsResult:
    """Score NPS answers (0-10); ``small_sample`` is set when fewer than
    ``small_sample_below`` answers carry a score."""
    require_count("small_sample_below", small_sample_below)
    tally = _tally(answers, SurveyKind.NPS)
    promoters = tally.between(9, 10)
    detractors = tally.between(0, 6)
    n = tally.n
    passives = n - promoters - detractors
    score = adjusted = low = high = None
    if n:
        score = 100 * (promoters - detractors) / n
        # Adjusted Wald for NPS (Rocks 2016, "Interval Estimation for the 'Net Promoter
        # Score'", The American Statistician 70(4); also MeasuringU): add 3 pseudo-answers,
        # 3/4 each to promoters and detractors (3/2 to passives), then use the variance of
        # a difference of two multinomial proportions:
        #   n' = n + 3, p = (P + 3/4)/n', d = (D + 3/4)/n',
        #   var = (p + d - (p - d)^2) / n', interval (p - d) ± 1.96·sqrt(var),
        # clipped to [-1, 1] and reported times 100.
        n_adj = n + 3
        p = (promoters + 0.75) / n_adj
        d = (detractors + 0.75) / n_adj
        centre = p - d
        half = _Z95 * math.sqrt((p + d - centre * centre) / n_adj)
        adjusted = 100 * centre
        low = 100 * max(-1.0, centre - half)
        high = 100 * min(1.0, centre + half)
    return NpsResult(
        score=score,
        promoters=promoters,
        passives=passives,
        detractors=detractors,
        skipped=tally.skipped,
        dismissed=tally.dismissed,
        adjusted=adjusted,
        low=low,
        high=high,
        small_sample=n < small_sample_below,
    )


@attrs.frozen
class CsatResult:
    """CSAT of a set of answers (1-5)."""

    share: float | None
    """The fraction (0 to 1) of scored answers that are 4 or 5; None with none scored."""
    mean: float | None
    """The mean score; None with none scored."""
    satisfied: int
    """Answers scoring 4-5."""
    neutral: int
    """Answers scoring 3."""
    dissatisfied: int
    """Answers scoring 1-2."""
    skipped: int
    """Answers that skipped the question."""
    dismissed: int
    """Surveys dismissed without an answer."""

    @property
    def answered(self) -> int:
        """Answers with a score: the denominator."""
        return self.satisfied + self.neutral + self.dissatisfied


def csat(answers: Iterable[Answer]) -> CsatResult:
    """Score CSAT answers (1-5): share satisfied (4-5) and the mean score."""
    tally = _tally(answers, SurveyKind.CSAT)
    n = tally.n
    satisfied = tally.between(4, 5)
    dissatisfied = tally.between(1, 2)
    return CsatResult(
        share=satisfied / n if n else None,
        mean=tally.total / n if n else None,
        satisfied=satisfied,
        neutral=n - satisfied - dissatisfied,
        dissatisfied=dissatisfied,
        skipped=tally.skipped,
        dismissed=tally.dismissed,
    )


@attrs.frozen
class CesResult:
    """Customer effort of a set of answers (CES 1-5 or CES2 1-7)."""

    kind: SurveyKind
    """CES (1-5) or CES2 (1-7)."""
    share: float | None
    """The fraction (0 to 1) of scored answers that are low effort (CES 1-2, CES2 5-7); None with
    none scored."""
    mean: float | None
    """The mean score on the kind's scale (CES: lower is better; CES2: higher is better); None with
    none scored."""
    low_effort: int
    """Answers saying little effort."""
    neutral: int
    """Answers in the middle (CES 3, CES2 4)."""
    high_effort: int
    """Answers saying much effort (CES 4-5, CES2 1-3)."""
    skipped: int
    """Answers that skipped the question."""
    dismissed: int
    """Surveys dismissed without an answer."""

    @property
    def answered(self) -> int:
        """Answers with a score: the denominator."""
        return self.low_effort + self.neutral + self.high_effort


def ces(answers: Iterable[Answer], kind: SurveyKind | Survey) -> CesResult:
    """Score effort answers for ``kind`` (``SurveyKind.CES`` or ``CES2``, or a survey of one)."""
    if isinstance(kind, Survey):
        kind = kind.kind
    if kind not in (SurveyKind.CES, SurveyKind.CES2):
        raise ValidationError.of(
            "kind", f"ces() scores SurveyKind.CES or SurveyKind.CES2; got {kind!r}"
        )
    tally = _tally(answers, kind)
    bands = dict.fromkeys(Effort, 0)
    for score, count in enumerate(tally.counts):
        if count:
            bands[kind.category(score)] += count  # type: ignore[index]
    n = tally.n
    low_effort = bands[Effort.LOW]
    high_effort = bands[Effort.HIGH]
    return CesResult(
        kind=kind,
        share=low_effort / n if n else None,
        mean=tally.total / n if n else None,
        low_effort=low_effort,
        neutral=n - low_effort - high_effort,
        high_effort=high_effort,
        skipped=tally.skipped,
        dismissed=tally.dismissed,
    )
