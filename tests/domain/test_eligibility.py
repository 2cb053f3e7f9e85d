"""May we invite this customer? Every rule, its story, and determinism."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import Channel, Desk, ValidationError
from closedloop.domain.surveys.eligibility import Contact, Reason, SurveyRules, eligibility
from closedloop.domain.surveys.survey import Survey, SurveyKind
from closedloop.testing import ManualClock
from tests.helpers import START, make_feedback

NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
RULES = SurveyRules()


def closed_case(desk: Desk, customer: str = "mary@example.com") -> str:
    case = desk.listen(make_feedback(customer=customer))
    desk.acknowledge(case.id, by="Amy")
    desk.take_action(case.id, by="Amy", summary="Refunded")
    desk.thank(case.id, by="Amy")
    desk.explain(case.id, by="Amy", what_failed="Courier", what_changes="New courier")
    return case.id


def decide(desk: Desk, case_id: str | None, clock: ManualClock, **contact: object) -> Reason | None:
    decision = eligibility(
        customer="mary@example.com",
        survey=NPS,
        channel=Channel.EMAIL,
        now=clock.now(),
        contact=Contact(**contact),  # type: ignore[arg-type]
        rules=RULES,
        case=desk.get(case_id) if case_id else None,
    )
    return decision.reason


def test_scenario_1_the_survey_that_should_never_have_gone_out(
    desk: Desk, clock: ManualClock
) -> None:
    ignored = desk.listen(make_feedback(text="Where is my order? Nobody answers."))
    clock.advance(days=21)
    assert decide(desk, ignored.id, clock) is Reason.NEVER_ANSWERED
    assert [c.id for c in desk.unanswered()] == [ignored.id]


def test_no_survey_before_the_loop_is_closed(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="Amy")
    assert decide(desk, case.id, clock) is Reason.LOOP_OPEN


def test_a_closed_loop_may_be_surveyed(desk: Desk, clock: ManualClock) -> None:
    assert decide(desk, closed_case(desk), clock) is None


@pytest.mark.parametrize(
    ("contact", "reason"),
    [
        ({"staff": True}, Reason.STAFF),
        ({"opted_out": {"email"}}, Reason.OPTED_OUT),
        ({"snoozed_until": START + timedelta(days=1)}, Reason.SNOOZED),
        ({"invited": {"quarterly": START - timedelta(days=3)}}, Reason.COOLDOWN),
        ({"answered": {"after-case": START - timedelta(days=45)}}, Reason.SURVEY_COOLDOWN),
    ],
)
def test_the_customers_wishes_and_history(
    desk: Desk, clock: ManualClock, contact: dict[str, object], reason: Reason
) -> None:
    assert decide(desk, closed_case(desk), clock, **contact) is reason


def test_cooldowns_end(desk: Desk, clock: ManualClock) -> None:
    case_id = closed_case(desk)
    history = {"answered": {"after-case": START - timedelta(days=90)}}
    assert decide(desk, case_id, clock, **history) is None
    assert decide(desk, case_id, clock, opted_out={"sms"}) is None


def test_a_case_closed_without_a_conversation_is_not_surveyed(
    desk: Desk, clock: ManualClock
) -> None:
    case = desk.get(closed_case(desk))
    decision = eligibility(
        customer=case.customer, survey=NPS, channel=Channel.EMAIL, now=clock.now(),
        contact=Contact(), rules=RULES, case=case, case_status="spam",
    )  # fmt: skip
    assert decision.reason is Reason.NOT_A_REAL_CASE


def test_the_reply_window_of_a_channel(desk: Desk, clock: ManualClock) -> None:
    rules = SurveyRules(reply_windows={"chat": timedelta(hours=24)})
    case = desk.get(closed_case(desk))
    kwargs = {"customer": case.customer, "survey": NPS, "channel": Channel.CHAT,
              "contact": Contact(), "rules": rules, "case": case}  # fmt: skip
    assert eligibility(now=START + timedelta(hours=23), **kwargs).allowed  # type: ignore[arg-type]
    late = eligibility(now=START + timedelta(hours=25), **kwargs)  # type: ignore[arg-type]
    assert late.reason is Reason.REPLY_WINDOW_CLOSED
    assert str(late) == "suppressed: the channel's reply window has closed"


@given(prefix=st.from_regex(r"[a-z]{1,8}", fullmatch=True))
def test_sampling_is_stable_and_near_its_share(prefix: str) -> None:
    customers = [f"{prefix}-{i}@example.com" for i in range(400)]
    rules = SurveyRules(sample=0.5)

    def allowed(customer: str) -> bool:
        return eligibility(
            customer=customer, survey=NPS, channel=Channel.EMAIL, now=START,
            contact=Contact(), rules=rules,
        ).allowed  # fmt: skip

    first = [allowed(c) for c in customers]
    assert first == [allowed(c) for c in customers]  # deterministic
    assert 140 < sum(first) < 260  # 200 expected; six standard deviations either side


def test_sample_share_must_make_sense() -> None:
    with pytest.raises(ValidationError, match="sample must be more than 0"):
        SurveyRules(sample=0)
