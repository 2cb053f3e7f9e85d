"""A change carrying its facts, or more notifications, is the change built again with them,
without checking its events twice; what is added is still checked."""

from __future__ import annotations

import attrs
import pytest

from closedloop import Channel, Feedback, ValidationError
from closedloop.domain.cases import steps as latte
from closedloop.domain.change import Change, with_facts, with_notifications, with_rag
from closedloop.domain.queues.rag import RagTimes
from closedloop.domain.reports.facts import case_facts
from closedloop.domain.standards.standard import Standards
from closedloop.testing.conformance.base import _note
from tests.helpers import START


def _change() -> Change:
    feedback = Feedback(
        customer="m@example.com", channel=Channel.EMAIL, received_at=START, text="x"
    )
    case = latte.acknowledge(latte.open_case("c", feedback, at=START), at=START, by="amy")
    return Change(case, 1)


def test_a_change_with_facts_equals_the_change_built_with_them() -> None:
    change = _change()
    facts = case_facts(change.case, Standards())
    assert with_facts(change, facts) == attrs.evolve(change, facts=facts)
    assert change.facts is None  # the original is untouched
    rag = RagTimes(START, START)
    both = attrs.evolve(change, facts=facts, rag=rag)
    assert with_rag(with_facts(change, facts), rag) == both  # every field copied


def test_facts_of_another_version_are_refused() -> None:
    change = _change()
    older = case_facts(latte.open_case("c", change.case.messages[0], at=START), Standards())
    with pytest.raises(ValidationError, match="facts"):
        with_facts(change, older)


def test_more_notifications_are_checked_and_appended() -> None:
    change = _change()
    note = _note(change.case, "acknowledgement", START)
    assert with_notifications(change, (note,)).notifications == (note,)
    with pytest.raises(ValidationError):
        with_notifications(change, (attrs.evolve(note, key="x" * 3000),))
