"""The KPIs per agent, team and tag against four cases worked out by hand, on every store:
the read model and the replay agree, and the text, JSON and HTML show them."""

from __future__ import annotations

from datetime import timedelta

import jsonschema
import pytest

from closedloop import (
    CaseStore,
    Change,
    Channel,
    Desk,
    Feedback,
    FeedbackKind,
    Policy,
    Standards,
    Survey,
    SurveyKind,
    Target,
)
from closedloop.domain.cases.labelling import route
from closedloop.domain.reports.facts import case_facts
from closedloop.insights import (
    Insights,
    Scorecard,
    compute,
    render_html,
    render_text,
    schema,
    to_dict,
)
from closedloop.testing import ManualClock, RecordingNotifier
from tests.insights.fixture import NPS, SINCE, UNTIL, at

H = timedelta(hours=1)
M = timedelta(minutes=1)
CSAT = Survey("csat", SurveyKind.CSAT, "How satisfied are you?")


def _route(store: CaseStore, case_id: str, owner: str | None, team: str, when: object) -> None:
    """Route a case as a team's dispatcher would (the teams' service is built elsewhere)."""
    case = store.get(case_id)
    moved = route(case, at=when, by="lead", owner=owner, team=team)  # type: ignore[arg-type]
    store.commit(Change(moved, case.version, facts=case_facts(moved, Standards())))


def build(store: CaseStore) -> dict[str, str]:
    """P (amy, billing; reopened), Q (amy, then handed to ben in care), R (care, nobody's;
    escalated by the customer), S (ben, no team). Default standards: acknowledge within 4
    business hours, act within 3 business days, close the loop within 5, Mon-Fri 9-17."""
    clock = ManualClock(at(2, 9))
    desk = Desk(store, RecordingNotifier(), clock=clock, policy=Policy(survey_url="s/{token}"))

    def listen(customer: str, channel: Channel, kind: FeedbackKind, tags: list[str]) -> str:
        feedback = Feedback(customer=customer, channel=channel, received_at=clock.now(),
                            text="Where is my refund?", kind=kind, tags=tags)  # fmt: skip
        return desk.listen(feedback).id

    # P, Mon 09:00, tagged billing: amy's in billing at 09:30, acknowledged 10:00 (1h: met),
    # closed 12:00 (3h: met twice); reopened Tue 10:00, closed again 14:00 (4h: met twice).
    p = listen("pia@example.com", Channel.EMAIL, FeedbackKind.COMPLAINT, ["billing"])
    # Q, Mon 09:00, tagged billing and vip: amy's in billing, acknowledged 15:00 (6h:
    # missed); handed to ben in care Tue 09:00 (a hand-off), closed Tue 10:00 (9 business
    # hours: met twice).
    q = listen("quin@example.com", Channel.WEB_FORM, FeedbackKind.COMPLAINT, ["billing", "vip"])
    _route(store, q, "amy", "billing", at(2, 9))
    # R, Mon 10:00: in care's queue, nobody's; never acknowledged (overdue Mon 14:00),
    # escalated by the customer Tue 09:00, action overdue Thu 10:00, loop due after the week.
    clock.set(at(2, 9, 30))
    _route(store, p, "amy", "billing", clock.now())
    clock.set(at(2, 10))
    desk.acknowledge(p, by="amy")
    r = listen("ray@example.com", Channel.PHONE, FeedbackKind.QUESTION, [])
    _route(store, r, None, "care", clock.now())
    clock.set(at(2, 12))
    desk.take_action(p, by="amy", summary="Refunded")
    desk.thank(p, by="amy")
    desk.explain(p, by="amy", what_failed="x", what_changes="y")
    clock.set(at(2, 15))
    desk.acknowledge(q, by="amy")
    clock.set(at(3, 9))
    _route(store, q, "ben", "care", clock.now())
    desk.standards.escalate(r, to="the ombudsman")
    clock.set(at(3, 10))
    desk.reopen(p, reason="Still nothing")
    desk.take_action(q, by="ben", summary="Refunded")
    desk.thank(q, by="ben")
    desk.explain(q, by="ben", what_failed="x", what_changes="y")
    clock.set(at(3, 14))
    desk.take_action(p, by="amy", summary="Refunded again")
    desk.thank(p, by="amy")
    desk.explain(p, by="amy", what_failed="x", what_changes="y")
    # S, Wed 09:00, no team: acknowledged by ben 09:30 (met; he owns it), thanked 10:00.
    clock.set(at(4, 9))
    s = listen("sam@example.com", Channel.CHAT, FeedbackKind.COMPLIMENT, [])
    clock.set(at(4, 9, 30))
    desk.acknowledge(s, by="ben")
    clock.set(at(4, 10))
    desk.thank(s, by="ben")
    # Answers on Friday: NPS 10 about P, 7 about Q (a passive), CSAT 4 about S.
    clock.set(at(6, 15))
    for case_id, survey, score in ((p, NPS, 10), (q, NPS, 7), (s, CSAT, 4)):
        invited = desk.surveys.invite(survey, case_id=case_id)
        assert invited.token is not None, invited.invitation.decision
        desk.surveys.respond(invited.token, score)
    return {"P": p, "Q": q, "R": r, "S": s}


@pytest.fixture
def week(every_store: CaseStore) -> Insights:
    build(every_store)
    read = compute(every_store, SINCE, UNTIL)
    assert read == compute(every_store, SINCE, UNTIL, replay=True)
    return read


def _card(cards: tuple[Scorecard, ...], name: str | None) -> Scorecard:
    (found,) = [c for c in cards if c.name == name]
    return found


def _steps(card: Scorecard) -> dict[Target, tuple[int, int]]:
    return {k.target: (k.measured, k.met) for k in card.section.kpis}


def test_each_agent_is_counted_for_the_cases_they_owned_at_the_end(week: Insights) -> None:
    assert [c.name for c in week.by_owner] == ["amy", "ben", None]  # unassigned last
    amy, ben, nobody = week.by_owner
    # amy: P alone (Q went to ben): one case, reopened once, every step met (the reopen
    # waited for a reply, given with the action at 14:00).
    assert (amy.section.opened, amy.section.closed, amy.section.reopened) == (1, 1, 1)
    assert amy.section.reopen_rate == 1.0
    assert _steps(amy) == {Target.ACKNOWLEDGE: (1, 1), Target.REPLY: (1, 1),
                           Target.TAKE_ACTION: (2, 2), Target.CLOSE_LOOP: (2, 2)}  # fmt: skip
    assert (amy.measured, amy.met, amy.share_met) == (6, 6, 1.0)
    loop = amy.main_kpi(Target.CLOSE_LOOP)
    assert loop is not None
    assert (loop.p50, loop.p90) == (3 * H, 4 * H)
    # ben: Q (with its late acknowledgement, amy's before the hand-off) and S.
    assert (ben.section.opened, ben.section.closed, ben.section.escalated) == (2, 2, 0)
    assert _steps(ben) == {Target.ACKNOWLEDGE: (2, 1), Target.TAKE_ACTION: (1, 1),
                           Target.CLOSE_LOOP: (2, 2)}  # fmt: skip
    assert ben.share_met == 0.8
    ack = ben.main_kpi(Target.ACKNOWLEDGE)
    assert ack is not None
    assert (ack.p50, ack.p90) == (30 * M, 6 * H)
    assert (ben.section.hand_offs, ben.section.per_case(ben.section.hand_offs)) == (1, 0.5)
    assert amy.section.hand_offs == 0  # nobody to amy is not a hand-off
    # Nobody's: R, escalated by the customer, both its steps overdue.
    assert (nobody.section.opened, nobody.section.escalated) == (1, 1)
    assert nobody.section.escalation_rate == 1.0
    assert (nobody.measured, nobody.met) == (2, 0)


def test_survey_answers_count_for_the_owner_and_team_of_their_case(week: Insights) -> None:
    amy, ben, nobody = week.by_owner
    assert (amy.nps.answered, amy.nps.score) == (1, 100.0)
    assert (ben.nps.answered, ben.nps.score, ben.nps.passives) == (1, 0.0, 1)
    assert (ben.csat.answered, ben.csat.share) == (1, 1.0)
    assert (nobody.nps.answered, nobody.csat.answered) == (0, 0)
    teams = {c.name: c for c in week.by_team}
    assert list(teams) == ["billing", "care", None]
    assert teams["billing"].nps.score == 100.0
    assert (teams["care"].nps.score, teams[None].csat.share) == (0.0, 1.0)


def test_each_team_and_tag_has_its_cases(week: Insights) -> None:
    teams = {c.name: c.section for c in week.by_team}
    assert {name: s.opened for name, s in teams.items()} == {"billing": 1, "care": 2, None: 1}
    assert (teams["care"].escalated, teams["care"].hand_offs) == (1, 1)
    assert teams["billing"].reopened == 1
    tags = {c.name: c for c in week.by_tag}
    assert {name: c.section.opened for name, c in tags.items()} == {"billing": 2, "vip": 1}
    assert tags["billing"].nps.score == 50.0  # a promoter and a passive
    assert tags["vip"].share_met == 2 / 3  # Q: acknowledged late, acted and closed in time


def test_the_tables_show_in_text_json_and_html(week: Insights) -> None:
    text = render_text(week)
    for heading in ("By agent", "By team", "By tag"):
        assert heading in text
    (ben,) = [line for line in text.splitlines() if line.startswith("  ben ")]
    assert ben.split()[1:4] == ["2", "80%", "30m"]
    assert "1 (0.50)" in ben
    assert any(line.startswith("  unassigned ") for line in text.splitlines())
    assert any(line.startswith("  no team ") for line in text.splitlines())
    document = to_dict(week)
    jsonschema.validate(document, schema())
    assert [c["name"] for c in document["by_team"]] == ["billing", "care", None]
    (amy,) = [c for c in document["by_owner"] if c["name"] == "amy"]
    assert (amy["steps_measured"], amy["share_met"], amy["reopen_rate"]) == (6, 1.0, 1.0)
    assert amy["nps"]["score"] == 100.0
    html = render_html(week)
    for table in ('id="by-owner"', 'id="by-team"', 'id="by-tag"'):
        assert table in html
    assert "<td>unassigned</td>" in html
    assert "<td>no team</td>" in html


def test_a_period_before_the_cases_has_no_scorecards(every_store: CaseStore) -> None:
    build(every_store)
    empty = compute(every_store, SINCE - timedelta(days=7), SINCE)
    assert (empty.by_owner, empty.by_team, empty.by_tag) == ((), (), ())
    assert 'id="by-owner"' in render_html(empty)  # the table's place says nobody worked
    assert "By agent" not in render_text(empty)
