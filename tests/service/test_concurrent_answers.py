"""Survey answers under concurrency, with stores that run another writer between a read
and its commit: an answer whose customer's recovery case changed or opened meanwhile reads
it again and joins it (no answer is lost, and one recovery case follows the customer, from
any of their handles); one invitation answered twice at once keeps the first and tells the
second AlreadyAnsweredError."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from closedloop import AlreadyAnsweredError, Channel, Desk, Survey, SurveyKind
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.events import OriginKind
from closedloop.domain.surveys.invitation import Invitation
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, Burst, make_feedback, take_step

SURVEY = Survey("logoff", SurveyKind.NPS, "How likely are you to recommend us?")


class Interleaved(InMemoryStore):
    """Runs ``between`` once, right after the next read of a customer's cases (or of an
    invitation, with ``on_invitation``): another writer."""

    between: Callable[[], object] | None = None
    on_invitation = False
    #: Only after reading this handle's cases (the last of a linked customer's), if set.
    handle: str | None = None

    def _another(self) -> None:
        between, self.between = self.between, None
        if between is not None:
            between()

    def cases_of(self, customer: str) -> list[Case]:
        found = super().cases_of(customer)
        if not self.on_invitation and self.handle in (None, customer):
            self._another()
        return found

    def invitation(self, invitation_id: str) -> Invitation:
        found = super().invitation(invitation_id)
        if self.on_invitation:
            self._another()
        return found


def desks(store: InMemoryStore) -> tuple[Desk, Desk]:
    clock = ManualClock(START)
    return (
        Desk(store, RecordingNotifier(), clock=clock),
        Desk(store, RecordingNotifier(), clock=clock),
    )


def answer(desk: Desk, customer: str, score: int) -> Invitation:
    """``customer``'s answer to the log-off survey, without an invitation."""
    return desk.surveys.record_answer(
        SURVEY, customer=customer, channel=Channel.WEB_FORM, answer=score
    )


def closed_case(desk: Desk) -> Case:
    """A case taken through every step: its customer may be asked a survey."""
    case = desk.listen(make_feedback())
    for step in ("acknowledge", "take_action", "thank", "explain"):
        case = take_step(desk, case.id, step)
    return case


def recovery_cases(desk: Desk, customer: str) -> list[Case]:
    return [
        c
        for c in desk.cases_of(customer)
        if c.origin is not None and c.origin.kind is OriginKind.RECOVERY
    ]


@pytest.mark.parametrize("external", [True, False], ids=["external_id", "no_external_id"])
def test_an_answer_whose_recovery_case_moved_meanwhile_joins_it(external: bool) -> None:
    store = Interleaved()
    amy, bob = desks(store)
    first = answer(amy, "bo@example.com", 0)
    (recovery,) = recovery_cases(amy, "bo@example.com")
    store.between = lambda: bob.surveys.record_answer(
        SURVEY, customer="bo@example.com", channel=Channel.WEB_FORM, answer=1,
        external_id="bob-1" if external else None,
    )  # fmt: skip

    mine = amy.surveys.record_answer(
        SURVEY, customer="bo@example.com", channel=Channel.WEB_FORM, answer=2,
        external_id="amy-1" if external else None,
    )  # fmt: skip

    answers = amy.surveys.of_customer("bo@example.com")
    assert {i.id for i in answers} >= {first.id, mine.id}
    assert sorted(i.response.score for i in answers if i.response) == [0, 1, 2]
    (joined,) = recovery_cases(amy, "bo@example.com")  # all three in the one case
    assert joined.id == recovery.id
    assert len(joined.messages) == 3
    assert mine.recovery_case_id == recovery.id


def test_a_token_answered_twice_at_once_keeps_the_first() -> None:
    store = Interleaved()
    amy, bob = desks(store)
    case = closed_case(amy)
    invited = amy.surveys.invite(SURVEY, case_id=case.id)
    assert invited.token is not None
    token = invited.token
    store.on_invitation = True
    store.between = lambda: bob.surveys.respond(token, 9)

    with pytest.raises(AlreadyAnsweredError):
        amy.surveys.respond(token, 0)

    stored = amy.surveys.get(invited.invitation.id)
    assert stored.response is not None
    assert stored.response.score == 9
    assert recovery_cases(amy, case.customer) == []  # the 0 was never recorded


def test_an_answer_whose_customer_answered_another_survey_meanwhile_is_recorded() -> None:
    store = Interleaved()
    amy, bob = desks(store)
    case = closed_case(amy)
    ours = amy.surveys.invite(SURVEY, case_id=case.id)
    first = answer(amy, case.customer, 0)
    assert ours.token is not None
    assert first.recovery_case_id is not None
    store.between = lambda: bob.surveys.record_answer(
        SURVEY, customer=case.customer, channel=Channel.WEB_FORM, answer=1
    )

    answered = amy.surveys.respond(ours.token, 2)

    assert answered.response is not None
    assert answered.recovery_case_id == first.recovery_case_id
    assert len(amy.get(first.recovery_case_id).messages) == 3


@pytest.mark.parametrize("linked", [False, True], ids=["one_handle", "linked_handles"])
def test_two_first_low_scores_at_once_open_one_recovery_case(linked: bool) -> None:
    store = Interleaved()
    amy, bob = desks(store)
    theirs = "bo@example.com"
    if linked:
        amy.customers.link("bo@example.com", "+447700900123", by="amy")
        theirs = "+447700900123"
    store.handle = "bo@example.com"  # read last: "+" sorts before "b"
    store.between = lambda: answer(bob, theirs, 1)  # opens the recovery case meanwhile

    mine = answer(amy, "bo@example.com", 0)

    (recovery,) = recovery_cases(amy, "bo@example.com") + recovery_cases(amy, "+447700900123")
    assert mine.recovery_case_id == recovery.id
    assert len(recovery.messages) == 2
    assert len(amy.surveys.of_customer("bo@example.com")) == 2


def test_after_the_recovery_case_closes_a_low_score_opens_the_next() -> None:
    desk, _ = desks(InMemoryStore())
    first = answer(desk, "bo@example.com", 0)
    assert first.recovery_case_id is not None
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, first.recovery_case_id, step)

    second = answer(desk, "bo@example.com", 0)
    third = answer(desk, "bo@example.com", 1)

    assert second.recovery_case_id not in (None, first.recovery_case_id)
    assert third.recovery_case_id == second.recovery_case_id
    assert len(recovery_cases(desk, "bo@example.com")) == 2


class Busy(Burst, InMemoryStore):
    """Another answer after each read of a customer's cases: a burst arriving together."""

    def cases_of(self, customer: str) -> list[Case]:
        found = super().cases_of(customer)
        self.after_read()
        return found


def test_an_answer_in_a_burst_of_eight_from_one_customer_is_recorded() -> None:
    store = Busy()
    amy, bob = desks(store)
    first = answer(amy, "bo@example.com", 0)
    store.writers = [lambda n=n: answer(bob, "bo@example.com", n % 6) for n in range(7)]

    mine = answer(amy, "bo@example.com", 3)  # read again after each of the seven others

    assert store.writers == []
    assert mine.recovery_case_id == first.recovery_case_id
    assert len(amy.surveys.of_customer("bo@example.com")) == 9
    assert first.recovery_case_id is not None
    assert len(amy.get(first.recovery_case_id).messages) == 9
