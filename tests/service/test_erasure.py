"""Erasing a customer through the Desk: their details gone, figures kept, nothing sent to
them, and nobody else's records touched."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import (
    CaseStore,
    Channel,
    ConcurrencyError,
    CustomerNotFoundError,
    Desk,
    InvitationWithdrawnError,
    Policy,
    Reason,
    Survey,
    SurveyKind,
    ValidationError,
    codec,
    pseudonym_for,
)
from closedloop.domain.outbox.notification import Notification
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback, take_step

DAY = timedelta(days=1)
ERASED = "[erased]"  # what erased free text reads as
NPS = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")


def test_erasure_keeps_the_figures_and_refuses_stale_writers(
    desk: Desk, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com", text="Ann's zebra sofa"))
    desk.acknowledge(case.id, by="amy")
    desk.promises.make(
        case.id, what="Call Ann back", due_by=clock.now() + DAY, owner="amy", by="amy"
    )
    clock.advance(days=2)
    since, until = clock.now() - 10 * DAY, clock.now() + DAY
    before = (desk.reports.promises(since, until), desk.get(case.id).effort)
    seen = desk.get(case.id).version

    erasure = desk.customers.erase("ann@example.com")

    after = desk.get(case.id)
    assert after.customer == erasure.pseudonym
    assert "zebra" not in repr(after.events)  # (no hex pseudonym can spell it)
    assert (desk.reports.promises(since, until), after.effort) == before
    assert desk.cases_of("ann@example.com") == []
    with pytest.raises(ConcurrencyError):
        desk.take_action(case.id, by="amy", summary="Refunded", expected_version=seen)


def test_the_default_pseudonym_cannot_be_recomputed_from_the_address(desk: Desk) -> None:
    desk.listen(make_feedback(customer="ann@example.com"))
    first = desk.customers.erase("ann@example.com").pseudonym
    assert first != pseudonym_for("ann@example.com")
    assert desk.customers.erase("ann@example.com", pseudonym="customer-17").pseudonym == (
        "customer-17"
    )


def test_nothing_queued_for_an_erased_customer_is_sent(
    desk: Desk, notifier: RecordingNotifier
) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com"))
    desk.acknowledge(case.id, by="amy")
    desk.customers.erase("ann@example.com")
    desk.outbox.dispatch()
    assert notifier.sent == []
    (dead,) = desk.outbox.dead_letters()
    assert "ann@example.com" not in repr(dead)


class ErasingOnFirstSend(RecordingNotifier):
    """Erases Ann (another thread, as it were) while the first message of a dispatch goes."""

    desk: Desk

    def send(self, notification: Notification) -> None:
        super().send(notification)
        if len(self.sent) == 1:
            self.desk.customers.erase("ann@example.com")


def test_an_erasure_during_a_dispatch_stops_what_it_claimed_for_her(
    every_store: CaseStore,
) -> None:
    """Found by a newcomer's probe: messages claimed before the erasure went out after it,
    to her address, with her words."""
    notifier = ErasingOnFirstSend()
    desk = notifier.desk = Desk(every_store, notifier, clock=ManualClock(START))
    first = desk.listen(make_feedback(customer="bob@example.com"))
    desk.acknowledge(first.id, by="amy")  # goes first, and erases Ann as it goes
    hers = desk.listen(make_feedback(customer="ann@example.com", text="My sofa is torn"))
    desk.acknowledge(hers.id, by="amy")
    desk.conversation.reply(hers.id, "We are on it", by="amy")

    report = desk.outbox.dispatch()

    assert [n.to for n in notifier.sent] == ["bob@example.com"]
    assert len(report.skipped) == 2
    assert all("sofa" not in repr(d) for d in desk.outbox.dead_letters())


def test_the_default_pseudonym_is_random_even_when_the_ids_are_not() -> None:
    """Salted with the Desk's next id, two desks with sequential ids gave ann@example.com
    the same pseudonym: anyone could recompute it."""
    pseudonyms = set()
    for _ in range(2):
        desk = Desk(InMemoryStore(), RecordingNotifier(), ids=SequentialIds())
        desk.listen(make_feedback(customer="ann@example.com"))
        pseudonyms.add(desk.customers.erase("ann@example.com").pseudonym)
    assert len(pseudonyms) == 2


def test_an_erasure_needs_a_handle_and_a_safe_pseudonym(desk: Desk) -> None:
    with pytest.raises(ValidationError, match="at least one handle"):
        desk.customers.erase()
    with pytest.raises(ValidationError, match="must not contain"):
        desk.customers.erase("ann@example.com", pseudonym="was-ann@example.com")


# -- erasing one person: nobody else's messages change ------------------------------------


def test_erasing_ann_leaves_joanns_message_alone(desk: Desk, notifier: RecordingNotifier) -> None:
    joann = desk.listen(make_feedback(customer="joann@example.com", text="My lamp is broken"))
    desk.acknowledge(joann.id, by="amy")
    desk.listen(make_feedback(customer="ann@example.com"))
    desk.customers.erase("ann@example.com")
    desk.outbox.dispatch()
    (sent,) = notifier.sent
    assert sent.to == "joann@example.com"  # not "jo" and a pseudonym
    assert "My lamp is broken" in sent.body


def test_erasing_a_short_crm_id_leaves_other_customers_alone(
    desk: Desk, notifier: RecordingNotifier
) -> None:
    others = [
        desk.listen(make_feedback(customer=f"c{n}@example.com", text=f"Order 11{n}, 11 items"))
        for n in range(3)
    ]
    for case in others:
        desk.acknowledge(case.id, by="amy")  # their bodies hold "11" (the date, the text)
    desk.listen(make_feedback(customer="11", channel=Channel.CRM))
    desk.customers.erase("11")
    desk.outbox.dispatch()
    assert sorted(n.to for n in notifier.sent) == [f"c{n}@example.com" for n in range(3)]
    assert all(ERASED not in n.body and "Order 11" in n.body for n in notifier.sent)


def test_a_message_that_merely_mentions_the_customer_is_left_alone(
    desk: Desk, notifier: RecordingNotifier
) -> None:
    john = desk.listen(
        make_feedback(customer="john@example.com", text="Same as mary@example.com had")
    )
    desk.acknowledge(john.id, by="amy")
    desk.listen(make_feedback(customer="mary@example.com"))
    desk.customers.erase("mary@example.com")
    assert desk.get(john.id).messages[0].text == "Same as mary@example.com had"  # his words
    desk.outbox.dispatch()
    (sent,) = notifier.sent
    assert (sent.to, ERASED in sent.body) == ("john@example.com", False)


def test_in_a_case_she_wrote_in_only_her_message_changes(every_store: CaseStore) -> None:
    """Her message added to Joann's case used to make every mention of her handles in that
    case the pseudonym: Joann's own words and the reply written to Joann."""
    notifier = RecordingNotifier()
    desk = Desk(every_store, notifier, clock=ManualClock(START))
    words = "My neighbour ann@example.com had the same; her CRM number is 11, we bought 11 lamps"
    joann = desk.listen(make_feedback(customer="joann@example.com", text=words))
    desk.acknowledge(joann.id, by="amy")
    desk.conversation.add_message(
        joann.id, make_feedback(customer="ann@example.com", text="Ann here, same lamp")
    )
    desk.conversation.reply(joann.id, "Joann, we wrote to ann@example.com too", by="amy")
    desk.customers.link("ann@example.com", customer="11", by="crm")
    before = desk.get(joann.id)

    erasure = desk.customers.erase("11")

    after = desk.get(joann.id)
    assert [m.text for m in after.messages] == [words, ERASED]
    assert [m.customer for m in after.messages] == ["joann@example.com", erasure.pseudonym]
    hers = {e.version for e in before.events if "Ann here" in repr(e)}
    assert [e for e in after.events[: len(before.events)] if e.version not in hers] == [
        e for e in before.events if e.version not in hers
    ]
    desk.outbox.dispatch()
    (reply,) = [n for n in notifier.sent if n.purpose == "reply"]
    assert reply.body.startswith("Joann, we wrote to ann@example.com too")


# -- what erasure means for open work ------------------------------------------------------


def test_nothing_new_goes_to_an_erased_customer(desk: Desk, notifier: RecordingNotifier) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com"))
    erasure = desk.customers.erase("ann@example.com")
    desk.acknowledge(case.id, by="amy")  # staff finish the work on the case...
    desk.conversation.reply(case.id, "Refunded", by="amy")
    report = desk.outbox.dispatch()
    assert notifier.sent == []  # ...but nothing is handed to a notifier for nobody
    assert len(report.skipped) == 2
    dead = desk.outbox.dead_letters()
    assert {(m.notification.to, m.last_error) for m in dead} == {
        (erasure.pseudonym, "not sent: the customer was erased")
    }


def test_an_erased_customers_survey_link_stops_working(store: InMemoryStore) -> None:
    clock = ManualClock(START)
    notifier = RecordingNotifier()
    desk = Desk(store, notifier, clock=clock, policy=Policy(survey_url="https://x.test/{token}"))
    case = desk.listen(make_feedback(customer="ann@example.com"))
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, case.id, step)
    invited = desk.surveys.invite(NPS, case_id=case.id)
    desk.outbox.dispatch()
    assert invited.token is not None
    (sent,) = [n for n in notifier.sent if n.purpose == "survey_invitation"]
    assert invited.token in sent.body  # in her inbox...
    assert invited.token not in repr(store.outbox_message(sent.key))  # ...not in the outbox
    erasure = desk.customers.erase("ann@example.com")
    with pytest.raises(InvitationWithdrawnError):
        desk.surveys.respond(invited.token, 0, contact_me=True)
    assert [c.id for c in desk.customers.cases(erasure.pseudonym)] == [case.id]  # no recovery
    again = desk.surveys.invite(NPS, case_id=case.id)
    assert (again.allowed, again.reason) == (False, Reason.ERASED)


def test_the_question_she_was_asked_goes(desk: Desk) -> None:
    """A pause waiting on the customer kept the question as its reason."""
    case = desk.listen(make_feedback(customer="ann@example.com"))
    desk.acknowledge(case.id, by="amy")
    desk.conversation.await_customer(case.id, question="Is it the lamp at 12 Elm St?", by="amy")
    desk.customers.erase("ann@example.com")
    erased = desk.get(case.id)
    assert "Elm St" not in repr(erased.events)
    assert erased.pause is not None
    assert erased.pause.reason == ERASED


def test_no_answer_is_recorded_for_an_erased_customers_pseudonym(desk: Desk) -> None:
    """Before: it was taken, and opened a recovery case for nobody that then escalated."""
    desk.listen(make_feedback(customer="ann@example.com"))
    erasure = desk.customers.erase("ann@example.com")
    with pytest.raises(ValidationError, match="pseudonym of an erased customer") as refused:
        desk.surveys.record_answer(
            NPS, customer=erasure.pseudonym, channel=Channel.WEB_FORM, answer=0
        )
    assert refused.value.field == "customer"
    assert desk.surveys.of_customer(erasure.pseudonym) == []
    assert len(desk.customers.cases(erasure.pseudonym)) == 1


# -- what goes from the customer records ---------------------------------------------------


def test_a_customer_id_that_was_their_address_leaves_the_customer_records(desk: Desk) -> None:
    desk.customers.link("mary@example.com", "@mary", customer="mary@example.com", by="crm")
    desk.listen(make_feedback(customer="@mary"))
    erasure = desk.customers.erase("@mary")
    with pytest.raises(CustomerNotFoundError):
        desk.customers.get("mary@example.com")
    erased = desk.customers.of_handle(erasure.pseudonym)
    assert erased is not None
    assert (erased.id, erased.handles) == (erasure.pseudonym, {erasure.pseudonym})


def test_handles_unlinked_earlier_go_unless_another_customer_holds_them(desk: Desk) -> None:
    desk.customers.link("ann@example.com", "old@example.com", "+44 1", customer="crm-1", by="crm")
    old = desk.listen(make_feedback(customer="old@example.com"))
    phone = desk.listen(make_feedback(customer="+44 1", channel=Channel.PHONE))
    desk.customers.unlink("crm-1", "old@example.com", by="crm")
    desk.customers.unlink("crm-1", "+44 1", by="crm")
    desk.customers.link("+44 1", customer="crm-2", by="crm")  # the number is someone else's
    erasure = desk.customers.erase("ann@example.com")
    assert erasure.handles == {"ann@example.com", "old@example.com"}
    assert desk.get(old.id).customer == erasure.pseudonym
    assert desk.get(phone.id).customer == "+44 1"
    history = repr(codec.dump_customer(desk.customers.get("crm-1")))
    assert "old@example.com" not in history
    assert "+44 1" not in history
    assert desk.customers.get("crm-2").handles == {"+44 1"}


@pytest.mark.parametrize("undo", ["unmerge", "unlink"])
def test_undoing_a_merge_after_an_erasure_keeps_the_pseudonym_erased(
    desk: Desk, clock: ManualClock, notifier: RecordingNotifier, undo: str
) -> None:
    """Found by a newcomer's erasure probe: an unmerge after the erasure gave the pseudonym
    back to the other record, which has no erasure in its history, and every safeguard
    went off: a reply was handed to the notifier addressed to the pseudonym."""
    desk.customers.link("ann@example.com", customer="crm-1", by="crm")
    desk.customers.link("ann.old@example.com", customer="crm-2", by="crm")
    desk.customers.merge("crm-1", "crm-2", by="crm")
    case = desk.listen(make_feedback(customer="ann@example.com"))
    desk.acknowledge(case.id, by="amy")
    desk.outbox.dispatch()
    pseudonym = desk.customers.erase("ann@example.com").pseudonym
    if undo == "unmerge":
        desk.customers.unmerge("crm-1", "crm-2", by="crm")
        assert desk.customers.get("crm-2").handles == frozenset()
    else:
        with pytest.raises(ValidationError, match="pseudonym an erasure left"):
            desk.customers.unlink("crm-1", pseudonym, by="crm")
    assert pseudonym in desk.customers.get("crm-1").handles
    before = len(notifier.sent)
    desk.conversation.reply(case.id, "Your refund is on its way", by="amy")
    desk.outbox.dispatch()
    assert notifier.sent[before:] == []
