from __future__ import annotations

import math
import random

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop.domain.errors import ScoreError, ValidationError
from closedloop.domain.surveys.scoring import CesResult, CsatResult, NpsResult, ces, csat, nps
from closedloop.domain.surveys.survey import (
    Answer,
    AnswerStatus,
    Effort,
    NpsCategory,
    Satisfaction,
    Survey,
    SurveyKind,
)

# The spec, written out score by score, independently of the module's own bands.
EXPECTED_CATEGORY: dict[SurveyKind, dict[int, NpsCategory | Satisfaction | Effort]] = {
    SurveyKind.NPS: {
        **dict.fromkeys(range(7), NpsCategory.DETRACTOR),
        7: NpsCategory.PASSIVE,
        8: NpsCategory.PASSIVE,
        9: NpsCategory.PROMOTER,
        10: NpsCategory.PROMOTER,
    },
    SurveyKind.CSAT: {
        1: Satisfaction.DISSATISFIED,
        2: Satisfaction.DISSATISFIED,
        3: Satisfaction.NEUTRAL,
        4: Satisfaction.SATISFIED,
        5: Satisfaction.SATISFIED,
    },
    SurveyKind.CES: {
        1: Effort.LOW,
        2: Effort.LOW,
        3: Effort.NEUTRAL,
        4: Effort.HIGH,
        5: Effort.HIGH,
    },
    SurveyKind.CES2: {
        1: Effort.HIGH,
        2: Effort.HIGH,
        3: Effort.HIGH,
        4: Effort.NEUTRAL,
        5: Effort.LOW,
        6: Effort.LOW,
        7: Effort.LOW,
    },
}
EXPECTED_DEFAULT_LOW = {
    SurveyKind.NPS: {0, 1, 2, 3, 4, 5, 6},
    SurveyKind.CSAT: {1, 2},
    SurveyKind.CES: {4, 5},
    SurveyKind.CES2: {1, 2, 3},
}


def survey(kind: SurveyKind, **kwargs: int) -> Survey:
    return Survey("after-visit", kind, "How was it?", **kwargs)


def answers_for(kind: SurveyKind) -> st.SearchStrategy[list[Answer]]:
    low, high = kind.scale
    one = st.one_of(
        st.integers(low, high).map(Answer),
        st.just(Answer.skipped()),
        st.just(Answer.dismissed()),
    )
    return st.lists(one, max_size=200)


# --- kinds and classification ---------------------------------------------------------


def test_scales_and_directions() -> None:
    assert SurveyKind.NPS.scale == (0, 10)
    assert SurveyKind.CSAT.scale == (1, 5)
    assert SurveyKind.CES.scale == (1, 5)
    assert SurveyKind.CES2.scale == (1, 7)
    assert [k.high_is_good for k in SurveyKind] == [True, True, False, True]
    assert [k.default_low_threshold for k in SurveyKind] == [6, 2, 4, 3]


@pytest.mark.parametrize("kind", list(SurveyKind))
def test_every_score_on_every_scale_is_classified_as_the_spec_says(kind: SurveyKind) -> None:
    low, high = kind.scale
    s = survey(kind)
    assert set(EXPECTED_CATEGORY[kind]) == set(range(low, high + 1))
    for score, expected in EXPECTED_CATEGORY[kind].items():
        assert s.category(score) is expected, score
        assert s.is_low(score) == (score in EXPECTED_DEFAULT_LOW[kind]), score


@given(kind=st.sampled_from(SurveyKind), data=st.data())
def test_is_low_follows_a_configured_threshold(kind: SurveyKind, data: st.DataObject) -> None:
    low, high = kind.scale
    threshold = data.draw(st.integers(low, high))
    score = data.draw(st.integers(low, high))
    s = survey(kind, low_threshold=threshold)
    expected = score >= threshold if kind is SurveyKind.CES else score <= threshold
    assert s.is_low(score) is expected


def test_default_threshold_comes_from_the_kind() -> None:
    assert survey(SurveyKind.NPS).low_threshold == 6
    assert survey(SurveyKind.CES).low_threshold == 4
    assert survey(SurveyKind.CES, low_threshold=5).is_low(4) is False


# --- bad input --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "score", "scale"),
    [
        (SurveyKind.NPS, True, "0 to 10"),
        (SurveyKind.NPS, False, "0 to 10"),
        (SurveyKind.NPS, 7.0, "0 to 10"),
        (SurveyKind.NPS, math.nan, "0 to 10"),
        (SurveyKind.NPS, "7", "0 to 10"),
        (SurveyKind.NPS, None, "0 to 10"),
        (SurveyKind.NPS, -1, "0 to 10"),
        (SurveyKind.NPS, 11, "0 to 10"),
        (SurveyKind.CSAT, 0, "1 to 5"),
        (SurveyKind.CSAT, 6, "1 to 5"),
        (SurveyKind.CSAT, 4.0, "1 to 5"),
        (SurveyKind.CES, 6, "1 to 5"),
        (SurveyKind.CES2, 8, "1 to 7"),
        (SurveyKind.CES2, 0, "1 to 7"),
    ],
)
def test_bad_scores_are_refused_naming_survey_and_scale(
    kind: SurveyKind, score: object, scale: str
) -> None:
    s = survey(kind)
    with pytest.raises(ScoreError, match=f"survey 'after-visit'.*from {scale}") as info:
        s.check(score)
    assert repr(score) in str(info.value)
    with pytest.raises(ScoreError):
        s.is_low(score)  # type: ignore[arg-type]
    with pytest.raises(ScoreError):
        s.category(score)  # type: ignore[arg-type]


def test_score_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="off the scale"):
        survey(SurveyKind.NPS).check(11)


@pytest.mark.parametrize(
    ("kind", "threshold"),
    [
        (SurveyKind.NPS, 11),
        (SurveyKind.NPS, -1),
        (SurveyKind.CSAT, 0),
        (SurveyKind.CES2, 8),
        (SurveyKind.CSAT, 2.0),
        (SurveyKind.CSAT, True),
    ],
)
def test_a_threshold_off_the_scale_is_refused(kind: SurveyKind, threshold: object) -> None:
    with pytest.raises(ScoreError, match="low_threshold is not on the scale"):
        Survey("s", kind, "q?", low_threshold=threshold)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("name", "kind", "question"),
    [("", SurveyKind.NPS, "q?"), ("s", "nps", "q?"), ("s", SurveyKind.NPS, "  ")],
)
def test_bad_survey_definitions_are_refused(name: str, kind: object, question: str) -> None:
    with pytest.raises(ValidationError):
        Survey(name, kind, question)  # type: ignore[arg-type]


@pytest.mark.parametrize("score", [True, 7.0, math.nan, "7"])
def test_an_answer_refuses_a_score_that_is_not_a_whole_number(score: object) -> None:
    with pytest.raises(ScoreError, match="whole number"):
        Answer(score)  # type: ignore[arg-type]


def test_answer_shapes() -> None:
    assert Answer(9).answered
    assert Answer.skipped().status is AnswerStatus.SKIPPED
    assert not Answer.dismissed().answered
    with pytest.raises(ScoreError, match="needs a score"):
        Answer(None)
    with pytest.raises(ValidationError, match="has no score"):
        Answer(5, AnswerStatus.SKIPPED)
    with pytest.raises(ScoreError, match="off the scale"):
        survey(SurveyKind.CSAT).answer(6)
    assert survey(SurveyKind.CSAT).answer(5) == Answer(5)


def test_aggregates_refuse_off_scale_answers_naming_the_scale() -> None:
    with pytest.raises(ScoreError, match=r"answer 1: NPS \(0-10\).*got 11"):
        nps([Answer(3), Answer(11)])
    with pytest.raises(ScoreError, match=r"CSAT \(1-5\).*got 0"):
        csat([Answer(0)])
    with pytest.raises(ScoreError, match=r"CES2 \(1-7\).*got 8"):
        ces([Answer(8)], SurveyKind.CES2)
    with pytest.raises(ValidationError, match="must be an Answer"):
        nps([9])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match=r"CES or SurveyKind\.CES2"):
        ces([], SurveyKind.NPS)


# --- NPS ---------------------------------------------------------------------------------


def test_nps_hand_computed_example() -> None:
    # 10 promoters, 5 passives, 5 detractors: n = 20, NPS = (10 - 5) / 20 = 25.0 exactly.
    # Adjusted Wald: n' = 23, p = 10.75/23 = 0.467391, d = 5.75/23 = 0.25,
    # centre = p - d = 5/23 = 0.217391,
    # var = (p + d - centre^2) / n' = (0.717391 - 0.047259) / 23 = 0.029136,
    # half = 1.96 * sqrt(0.029136) = 1.96 * 0.170693 = 0.334558,
    # interval = (-0.117167, 0.551950) -> (-11.72, 55.20).
    answers = [Answer(10)] * 6 + [Answer(9)] * 4 + [Answer(8), Answer(7)] * 2 + [Answer(7)]
    answers += [Answer(0), Answer(3), Answer(6), Answer(6), Answer(5)]
    result = nps(answers)
    assert result.score == 25.0
    assert (result.promoters, result.passives, result.detractors) == (10, 5, 5)
    assert result.answered == 20
    assert result.adjusted == pytest.approx(100 * 5 / 23)
    assert result.low == pytest.approx(-11.7167, abs=1e-3)
    assert result.high == pytest.approx(55.1950, abs=1e-3)
    assert result.small_sample


def test_nps_interval_is_clipped_at_the_ends() -> None:
    # 5 promoters only: n' = 8, p = 5.75/8 = 0.71875, d = 0.75/8 = 0.09375,
    # centre = 0.625, var = (0.8125 - 0.390625)/8 = 0.052734, half = 1.96 * 0.229640 = 0.450094
    # -> (0.174906, 1.075094), upper clipped to 1.
    result = nps([Answer(10)] * 5)
    assert result.score == 100.0
    assert result.low == pytest.approx(17.4906, abs=1e-3)
    assert result.high == 100.0


def test_nps_with_no_scores_has_no_score() -> None:
    result = nps([Answer.skipped(), Answer.dismissed()])
    assert result.score is None
    assert result.low is None
    assert result.high is None
    assert result.adjusted is None
    assert result.small_sample
    assert (result.answered, result.skipped, result.dismissed) == (0, 1, 1)


def test_small_sample_threshold_is_a_parameter() -> None:
    answers = [Answer(9)] * 30
    assert not nps(answers).small_sample
    assert nps(answers[:29]).small_sample
    assert not nps(answers[:5], small_sample_below=5).small_sample
    with pytest.raises(ValidationError, match="small_sample_below"):
        nps(answers, small_sample_below=-1)


@given(answers_for(SurveyKind.NPS))
def test_nps_bounds_and_interval(answers: list[Answer]) -> None:
    result = nps(answers)
    if result.answered == 0:
        assert result.score is None
        return
    assert result.score is not None
    assert result.adjusted is not None
    assert result.low is not None
    assert result.high is not None
    assert -100 <= result.score <= 100
    assert -100 <= result.low <= result.adjusted <= result.high <= 100
    assert result.score == pytest.approx(
        100 * (result.promoters - result.detractors) / result.answered
    )


@given(answers_for(SurveyKind.NPS))
def test_nps_counts_match_a_naive_count(answers: list[Answer]) -> None:
    scores = [a.score for a in answers if a.score is not None]
    result = nps(answers)
    assert result.promoters == sum(1 for s in scores if s in (9, 10))
    assert result.passives == sum(1 for s in scores if s in (7, 8))
    assert result.detractors == sum(1 for s in scores if 0 <= s <= 6)
    assert result.skipped == sum(1 for a in answers if a.status is AnswerStatus.SKIPPED)
    assert result.dismissed == sum(1 for a in answers if a.status is AnswerStatus.DISMISSED)


# --- skipped answers and order ------------------------------------------------------------


@given(
    kind=st.sampled_from(SurveyKind),
    data=st.data(),
    extra=st.lists(st.sampled_from([Answer.skipped(), Answer.dismissed()]), min_size=1),
)
def test_skipped_answers_never_change_a_score_or_denominator(
    kind: SurveyKind, data: st.DataObject, extra: list[Answer]
) -> None:
    answers = data.draw(answers_for(kind))
    mixed = answers + extra
    random.Random(0).shuffle(mixed)
    before, after = _score(kind, answers), _score(kind, mixed)
    assert _without_unanswered(before) == _without_unanswered(after)
    assert after.skipped + after.dismissed == before.skipped + before.dismissed + len(extra)


@given(kind=st.sampled_from(SurveyKind), data=st.data(), seed=st.integers())
def test_shuffling_answers_never_changes_results(
    kind: SurveyKind, data: st.DataObject, seed: int
) -> None:
    answers = data.draw(answers_for(kind))
    shuffled = list(answers)
    random.Random(seed).shuffle(shuffled)
    assert _score(kind, answers) == _score(kind, shuffled)


Result = NpsResult | CsatResult | CesResult


def _score(kind: SurveyKind, answers: list[Answer]) -> Result:
    if kind is SurveyKind.NPS:
        return nps(answers)
    if kind is SurveyKind.CSAT:
        return csat(answers)
    return ces(answers, kind)


def _without_unanswered(result: Result) -> dict[str, object]:
    fields = attrs.asdict(result, recurse=False)
    del fields["skipped"], fields["dismissed"]
    fields["answered"] = result.answered
    return fields


# --- CSAT and CES ---------------------------------------------------------------------------


def test_csat_share_and_mean_by_hand() -> None:
    # 5, 5, 4, 3, 1 (+ a skip): share of 4-5 = 3/5 = 0.6; mean = 18/5 = 3.6.
    answers = [Answer(5), Answer(5), Answer(4), Answer(3), Answer(1), Answer.skipped()]
    result = csat(answers)
    assert result.share == pytest.approx(0.6)
    assert result.mean == pytest.approx(3.6)
    assert (result.satisfied, result.neutral, result.dissatisfied) == (3, 1, 1)
    assert (result.answered, result.skipped, result.dismissed) == (5, 1, 0)


def test_csat_and_ces_with_no_scores() -> None:
    assert csat([Answer.dismissed()]).share is None
    assert csat([]).mean is None
    assert ces([Answer.skipped()], SurveyKind.CES).share is None


def test_ces_by_hand_for_both_directions() -> None:
    # CES (low is good): 1, 2 low effort; 3 neutral; 5 high -> share 2/4, mean 11/4.
    result = ces([Answer(1), Answer(2), Answer(3), Answer(5)], SurveyKind.CES)
    assert result.share == pytest.approx(0.5)
    assert result.mean == pytest.approx(2.75)
    assert (result.low_effort, result.neutral, result.high_effort) == (2, 1, 1)
    # CES2 (high is good): 7, 5 low effort; 4 neutral; 3, 1 high -> share 2/5, mean 20/5.
    answers = [Answer(7), Answer(5), Answer(4), Answer(3), Answer(1)]
    result2 = ces(answers, survey(SurveyKind.CES2))
    assert result2.kind is SurveyKind.CES2
    assert result2.share == pytest.approx(0.4)
    assert result2.mean == pytest.approx(4.0)
    assert (result2.low_effort, result2.neutral, result2.high_effort) == (2, 1, 2)


@given(answers_for(SurveyKind.CSAT))
def test_csat_bounds(answers: list[Answer]) -> None:
    result = csat(answers)
    if result.answered:
        assert result.share is not None
        assert result.mean is not None
        assert 0 <= result.share <= 1
        assert 1 <= result.mean <= 5
