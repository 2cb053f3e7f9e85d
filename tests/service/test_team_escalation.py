"""Escalation ladders naming the team lead of the case's team (``TEAM_LEAD``), resolved
when the sweep sends the alert; and standards that apply to a tag."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import (
    TEAM_LEAD,
    Assignment,
    CaseStore,
    Channel,
    Desk,
    Feedback,
    Ladder,
    Policy,
    Rung,
    Standard,
    Standards,
    Target,
    Team,
    ValidationError,
)
from closedloop.domain.standards.standard import office_hours
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START

LADDER = Ladder(
    rungs=(
        Rung("team lead", (TEAM_LEAD, "quality@example.com")),
        Rung("head of service", ("head@example.com",), timedelta(hours=8)),
    ),
    without_lead="duty-manager@example.com",
)
TEAMS = (
    Team("billing", members=("ann", "bo"), lead="lee@example.com"),
    Team("shop", members=("dee",)),  # no lead
)


def _listen(desk: Desk, customer: str, *tags: str) -> str:
    feedback = Feedback(
        customer=customer, channel=Channel.EMAIL, received_at=START, text="Refund?",
        tags=list(tags),
    )  # fmt: skip
    return desk.listen(feedback).id


def test_the_sweep_alerts_the_lead_of_each_cases_team(every_store: CaseStore) -> None:
    clock = ManualClock(START)
    notifier = RecordingNotifier()
    policy = Policy(
        teams=TEAMS,
        ladder=LADDER,
        assignment=Assignment(teams_by_tag={"refund": "billing", "store": "shop"}),
    )
    desk = Desk(every_store, notifier, clock=clock, policy=policy)
    billing = _listen(desk, "a@example.com", "refund")
    shop = _listen(desk, "b@example.com", "store")
    loner = _listen(desk, "c@example.com")
    clock.set(START + timedelta(hours=4, seconds=1))  # past the acknowledgement standard
    assert len(desk.sweep().escalated) == 3
    desk.outbox.dispatch()
    alerts = {(n.case_id, n.to) for n in notifier.sent if n.purpose == "escalation"}
    assert alerts == {
        (billing, "lee@example.com"), (billing, "quality@example.com"),
        (shop, "duty-manager@example.com"), (shop, "quality@example.com"),
        (loner, "duty-manager@example.com"), (loner, "quality@example.com"),
    }  # fmt: skip


def test_the_default_fallback_is_the_default_ladders_address() -> None:
    ladder = Ladder(rungs=(Rung("lead", (TEAM_LEAD, TEAM_LEAD, "x@example.com")),))
    assert ladder.recipients_of(ladder.rung(1), None) == ("team-lead", "x@example.com")
    assert ladder.recipients_of(ladder.rung(1), "x@example.com") == ("x@example.com",)
    with pytest.raises(ValidationError, match="without_lead"):
        Ladder(without_lead=TEAM_LEAD)


def test_a_standard_for_a_tag_sets_the_deadline_of_tagged_cases(every_store: CaseStore) -> None:
    hours = office_hours()
    vip = Standard(Target.ACKNOWLEDGE, timedelta(hours=1), hours, tags={"VIP"}, name="vip")
    desk = Desk(
        every_store, RecordingNotifier(), clock=ManualClock(START),
        policy=Policy(standards=Standards(rules=(vip,))),
    )  # fmt: skip
    tagged = desk.get(_listen(desk, "a@example.com", "vip"))
    plain = desk.get(_listen(desk, "b@example.com"))
    assert tagged.due_at == START + timedelta(hours=1)
    assert plain.due_at == START + timedelta(hours=4)
    later = desk.queues.tag(plain.id, by="amy", add=["vip"])  # the deadline follows the tag
    assert later.due_at == START + timedelta(hours=1)
    assert desk.get(plain.id).due_at == START + timedelta(hours=1)
    back = desk.queues.tag(plain.id, by="amy", remove=["vip"])
    assert back.due_at == START + timedelta(hours=4)
    unchanged = desk.queues.tag(plain.id, by="amy", add=["billing"])
    assert unchanged.version == back.version + 1  # the tag only: nothing to reschedule
