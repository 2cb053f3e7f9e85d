"""A standard may apply to a tag: which standard measures a case, when several match, and
the report facts' fingerprint of the standards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    BusinessCalendar,
    Channel,
    Desk,
    Feedback,
    Policy,
    Priority,
    Standard,
    Standards,
    Target,
    ValidationError,
)
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case
from closedloop.domain.reports.facts import basis
from closedloop.domain.standards.standard import office_hours
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, make_feedback

HOURS = office_hours()


def _case(*tags: str, priority: Priority = Priority.NORMAL) -> Case:
    feedback = Feedback(
        customer="a@example.com", channel=Channel.EMAIL, received_at=START, text="Hi",
        tags=list(tags),
    )  # fmt: skip
    return latte.open_case("c1", feedback, at=START, priority=priority)


def _ack(hours: float, **selectors: object) -> Standard:
    return Standard(Target.ACKNOWLEDGE, timedelta(hours=hours), HOURS, **selectors)  # type: ignore[arg-type]


VIP = _ack(1, tags={"vip"}, name="vip")
URGENT = _ack(2, priorities={Priority.URGENT}, name="urgent")
BILLING_URGENT = _ack(3, tags={"billing", "refund"}, priorities={Priority.URGENT}, name="bu")


@pytest.mark.parametrize(
    ("rules", "tags", "priority", "expected"),
    [
        ((VIP,), ("vip",), Priority.NORMAL, "vip"),
        ((VIP,), ("VIP ", "other"), Priority.NORMAL, "vip"),  # tags as cases keep them
        ((VIP,), ("billing",), Priority.NORMAL, "acknowledge within 4 business hours"),
        ((VIP,), (), Priority.NORMAL, "acknowledge within 4 business hours"),
        ((BILLING_URGENT,), ("refund",), Priority.URGENT, "bu"),  # any of its tags
        ((BILLING_URGENT,), ("refund",), Priority.HIGH, "acknowledge within 4 business hours"),
        # Several match: the first in ``rules`` wins, whatever it selects by.
        ((VIP, URGENT), ("vip",), Priority.URGENT, "vip"),
        ((URGENT, VIP), ("vip",), Priority.URGENT, "urgent"),
        ((URGENT, VIP), ("vip",), Priority.NORMAL, "vip"),
    ],
)
def test_which_standard_measures_a_tagged_case(
    rules: tuple[Standard, ...], tags: tuple[str, ...], priority: Priority, expected: str
) -> None:
    found = Standards(rules=rules).for_case(_case(*tags, priority=priority), Target.ACKNOWLEDGE)
    assert found is not None
    assert found.name == expected


@given(
    st.sets(st.sampled_from(["vip", "billing", "refund", "x"])),
    st.sets(st.sampled_from(["vip", "billing", "refund", "x"])),
)
def test_a_tag_standard_applies_exactly_when_the_case_has_one_of_its_tags(
    selected: set[str], carried: set[str]
) -> None:
    standard = _ack(1, tags=selected)
    assert standard.applies_to(_case(*carried)) == (not selected or bool(selected & carried))


def test_tags_are_given_as_a_set() -> None:
    with pytest.raises(ValidationError, match="not the string"):
        _ack(1, tags="vip")
    with pytest.raises(ValidationError):
        _ack(1, tags={"a,b"})
    assert _ack(1, tags=["VIP", "vip "]).tags == frozenset({"vip"})


def test_the_report_basis_tells_standards_apart_by_their_tags() -> None:
    plain = Standards(rules=(_ack(1, name="n"),))
    tagged = Standards(rules=(_ack(1, name="n", tags={"vip"}),))
    other = Standards(rules=(_ack(1, name="n", tags={"gold"}),))
    assert len({basis(plain), basis(tagged), basis(other)}) == 3
    assert basis(tagged) == basis(Standards(rules=(_ack(1, name="n", tags=["VIP"]),)))


@pytest.mark.parametrize(
    ("target", "hours", "expected"),
    [
        (Target.TAKE_ACTION, 24, "take action within 24 business hours"),
        (Target.CLOSE_LOOP, 40, "close the loop within 40 business hours"),
        (Target.ACKNOWLEDGE, 1, "acknowledge within 1 business hour"),
        (Target.ACKNOWLEDGE, 4, "acknowledge within 4 business hours"),
        (Target.REPLY, 0.5, "reply within 0.5 business hours"),
        (Target.CONTACT, 16, "contact within 16 business hours"),
    ],
)
def test_a_generated_name_reads_as_the_defaults_do(
    target: Target, hours: float, expected: str
) -> None:
    """Found by a newcomer's probe: 'take_action within 24 business hours', 'close_loop
    within ...', 'acknowledge within 1 business hours'."""
    assert Standard(target, timedelta(hours=hours), HOURS).name == expected


def test_a_desks_report_shows_the_generated_name() -> None:
    clock = ManualClock(START)
    rules = [Standard(Target.TAKE_ACTION, timedelta(hours=24), BusinessCalendar.always_open())]
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock,
                policy=Policy(standards=Standards(rules=rules)))  # fmt: skip
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Refunded")
    insights = desk.reports.insights(START, clock.advance(hours=1))
    names = {kpi.target: kpi.standard for kpi in insights.overall.kpis}
    assert names[Target.TAKE_ACTION] == "take action within 24 business hours"
