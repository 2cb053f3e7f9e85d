"""Each host event type through the public API, on every store: the right type, the documented
data, nothing personal unless asked, and JSON that fits the shipped schema."""

from __future__ import annotations

from datetime import timedelta

import pytest

from closedloop import Channel, Feedback, FeedbackKind, Stage, WaitingOn
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock
from tests.helpers import START, make_feedback
from tests.hostevents.support import subscribed, valid


def test_a_case_through_latte_gives_one_event_per_step(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, notifier = subscribed(every_store, clock)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Refunded the return")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Training", what_changes="Train", root_cause="rc")
    report = desk.outbox.dispatch()
    assert sorted(got.types()) == sorted(
        ["case.opened", "case.acknowledged", "case.action_taken", "case.thanked",
         "case.explained", "case.closed"]
    )  # fmt: skip
    assert [n.purpose for n in notifier.sent] == ["acknowledgement", "thanks", "explanation"]
    events = {e.id.removeprefix("default/") for e in got.events}
    assert set(report.sent) == events | {n.key for n in notifier.sent}
    opened = valid(got.of("case.opened"))
    assert opened == {
        "type": "case.opened",
        "version": 1,
        "id": f"default/{case.id}/1/case.opened",
        "occurred_at": START.isoformat(),
        "tenant": "default",
        "case_id": case.id,
        "data": {
            "by": "closedloop",
            "case_version": 1,
            "kind": "complaint",
            "channel": "web_form",
            "priority": "normal",
            "owner": None,
            "team": None,
            "tags": [],
            "origin": None,
            "due_at": opened["data"]["due_at"],
        },
    }
    assert valid(got.of("case.acknowledged"))["data"]["stage"] == "acknowledged"
    assert "summary" not in valid(got.of("case.action_taken"))["data"]  # staff's words: opt-in
    explained = valid(got.of("case.explained"))["data"]
    assert (explained["stage"], explained["root_cause"], explained["kano"]) == (
        "closed",
        "rc",
        None,
    )
    closed = valid(got.of("case.closed"))["data"]
    assert (closed["stage"], closed["step"], closed["case_version"]) == (
        "closed",
        "case.explained",
        5,
    )


def test_nothing_personal_unless_the_host_opts_in(
    every_store: CaseStore, clock: ManualClock
) -> None:
    plain, got, _ = subscribed(every_store, clock, {"case.opened", "case.reopened"})
    case = plain.listen(make_feedback(external_id="msg-1@example.com"))
    for step in ("acknowledge", "take_action", "thank", "explain"):
        getattr(plain, step)(case.id, by="amy", **_words(step))
    plain.reopen(case.id, reason="Still refused")
    plain.outbox.dispatch()
    text = "".join(e.to_json() for e in got.events)
    for secret in ("mary@example.com", "Leeds", "msg-1@example.com", "Still refused"):
        assert secret not in text
    assert valid(got.of("case.reopened"))["data"]["by"] == "customer"  # not their handle

    told, shown, _ = subscribed(
        every_store.for_tenant("acme"), clock, {"case.*"}, personal_data=True
    )
    case = told.listen(make_feedback(external_id="msg-2@example.com"))
    told.outbox.dispatch()
    data = valid(shown.of("case.opened"))["data"]
    assert data["customer"] == "mary@example.com"
    assert data["text"] == "The Leeds store staff were rude to me"
    assert data["external_id"] == "msg-2@example.com"
    assert shown.of("case.opened").tenant == "acme"


def test_a_missed_promise_escalates_without_its_words(
    every_store: CaseStore, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: ``case.escalated`` carried the promise's words as its
    ``standard`` to a subscriber that had not opted in to personal data."""
    desk, got, _ = subscribed(every_store, clock, {"case.escalated", "promise.missed"})
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    words = "call Kim on +44 7700 900123 about the refund"
    desk.promises.make(case.id, what=words, due_by=clock.now() + timedelta(hours=2), owner="lee",
                       by="amy")  # fmt: skip
    clock.advance(hours=3)
    desk.sweep()
    desk.outbox.dispatch()

    escalated = valid(got.of("case.escalated"))["data"]
    assert (escalated["target"], escalated["standard"]) == ("promise", "promise")
    assert "Kim" not in "".join(e.to_json() for e in got.events)


def _words(step: str) -> dict[str, str]:
    return {
        "take_action": {"summary": "Refunded"},
        "explain": {"what_failed": "Training", "what_changes": "Train"},
    }.get(step, {})


def test_decline_assign_reopen(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(
        every_store, clock, {"case.declined", "case.assigned", "case.reopened"}
    )
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.assign(case.id, owner="bob", by="amy")
    desk.decline(case.id, by="bob", reason="Out of stock", category="out_of_stock")
    desk.thank(case.id, by="bob")
    desk.explain(case.id, by="bob", what_failed="Stock", what_changes="Reorder")
    desk.reopen(case.id, reason="I still want it")
    desk.outbox.dispatch()
    assert sorted(got.types()) == ["case.assigned", "case.declined", "case.reopened"]
    assert valid(got.of("case.assigned"))["data"]["owner"] == "bob"
    declined = valid(got.of("case.declined"))["data"]
    assert declined["category"] == "out_of_stock"
    assert "reason" not in declined
    assert valid(got.of("case.reopened"))["data"]["stage"] == Stage.ACKNOWLEDGED.value  # act next


def test_an_answered_question_closes_the_case(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.closed", "case.action_taken"})
    case = desk.listen(make_feedback(FeedbackKind.QUESTION))
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Open till six")
    desk.outbox.dispatch()
    assert valid(got.of("case.closed"))["data"]["step"] == "case.action_taken"


def test_sweeps_escalate_and_promises_are_missed(
    every_store: CaseStore, clock: ManualClock
) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.escalated", "promise.*"})
    late = desk.listen(make_feedback())
    promised = desk.listen(make_feedback(customer="john@example.com"))
    desk.acknowledge(promised.id, by="amy")
    desk.promises.make(
        promised.id, what="A call back", due_by=START + timedelta(hours=2), owner="amy", by="amy"
    )
    clock.advance(days=3)
    desk.sweep()
    desk.outbox.dispatch()
    escalated = {e.case_id: valid(e)["data"] for e in got.events if e.type == "case.escalated"}
    assert escalated[late.id]["promise_id"] is None
    assert escalated[late.id]["level"] == 1
    missed = valid(got.of("promise.missed"))
    assert missed["case_id"] == promised.id
    assert missed["data"]["promise_id"] == escalated[promised.id]["promise_id"]
    assert missed["data"]["owner"] == "amy"
    assert "what" not in missed["data"]
    made = valid(got.of("promise.made"))["data"]
    assert made["promise_id"] == missed["data"]["promise_id"]
    assert made["owner"] == "amy"


def test_promise_kept(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"promise.kept"})
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    case = desk.promises.make(
        case.id, what="A refund", due_by=START + timedelta(days=2), owner="amy", by="amy"
    )
    desk.promises.keep(case.id, case.promises[0].id, by="amy", note="Paid")
    desk.outbox.dispatch()
    kept = valid(got.of("promise.kept"))["data"]
    assert kept["promise_id"] == case.promises[0].id
    assert "note" not in kept


def test_the_conversation(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.*"})
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    talk = desk.conversation
    talk.reply(case.id, "Which store?", by="amy")
    talk.note(case.id, "Called the manager", by="amy")
    talk.log_contact(case.id, Channel.PHONE, "Spoke to Mary", by="amy")
    talk.await_customer(case.id, by="amy", question="Which day was it?")
    talk.customer_replied(case.id, text="Monday")
    talk.hold(
        case.id,
        WaitingOn.THIRD_PARTY,
        by="amy",
        reason="Courier",
        resume_by=START + timedelta(days=2),
    )
    talk.resume(case.id, by="amy", reason="Courier answered")
    talk.move_channel(case.id, Channel.EMAIL, by="amy")
    talk.add_message(case.id, make_feedback(text="Any news?"))
    desk.standards.escalate(case.id, to="ombudsman")
    desk.outbox.dispatch()
    types = got.types()
    for name in ("case.replied", "case.noted", "case.contact_logged", "case.paused",
                 "case.customer_replied", "case.resumed", "case.channel_moved",
                 "case.escalated_by_customer"):  # fmt: skip
        assert name in types, name
    for event in got.events:
        valid(event)
    paused = sorted(
        (valid(e)["data"] for e in got.events if e.type == "case.paused"),
        key=lambda d: d["case_version"],
    )
    assert [p["waiting_on"] for p in paused] == ["customer", "third_party"]
    assert "question" not in paused[0]
    assert valid(got.of("case.channel_moved"))["data"]["channel"] == "email"
    by_customer = valid(got.of("case.escalated_by_customer"))["data"]
    assert (by_customer["to"], by_customer["by"]) == ("ombudsman", "customer")
    wrote = [valid(e)["data"] for e in got.events if e.type == "case.customer_replied"]
    assert len(wrote) == 2
    assert all("text" not in w for w in wrote)


def test_the_customers_word_that_ends_a_pause_is_a_resume_too(
    every_store: CaseStore, clock: ManualClock
) -> None:
    """A CRM following case.paused and case.resumed sees every pause the customer ends: by
    answering, by another message, by feedback that joins the case; a message that ends no
    pause gives no case.resumed."""
    desk, got, _ = subscribed(every_store, clock, {"case.paused", "case.resumed"},
                              personal_data=True)  # fmt: skip
    talk = desk.conversation

    def wrote(text: str) -> Feedback:
        return Feedback("mary@example.com", Channel.EMAIL, clock.now(), text, matter_key="881")

    case = desk.listen(wrote("Wrong size"))
    desk.acknowledge(case.id, by="amy")
    talk.await_customer(case.id, by="amy", question="Which size?")
    talk.customer_replied(case.id, text="M please")
    talk.add_message(case.id, wrote("Any news?"))  # no pause to end
    talk.hold(case.id, WaitingOn.THIRD_PARTY, by="amy", reason="Courier",
              resume_by=START + timedelta(days=2))  # fmt: skip
    talk.add_message(case.id, wrote("Any news now?"))
    talk.await_customer(case.id, by="amy", question="Which address?")
    assert desk.listen(wrote("12 High Street")).id == case.id  # joins, ends the pause
    assert desk.get(case.id).pause is None
    desk.outbox.dispatch()
    followed = sorted((valid(e) for e in got.events), key=lambda e: e["data"]["case_version"])
    assert [e["type"] for e in followed] == ["case.paused", "case.resumed"] * 3
    resumed = [e["data"] for e in followed if e["type"] == "case.resumed"]
    assert [(r["by"], r["reason"]) for r in resumed] == [
        ("mary@example.com", "the customer wrote")
    ] * 3
    assert all(r["due_at"] is not None for r in resumed)


def test_merge_split_verify(every_store: CaseStore, clock: ManualClock) -> None:
    desk, got, _ = subscribed(every_store, clock, {"case.*"})
    a = desk.listen(make_feedback())
    b = desk.listen(make_feedback(text="Also the Leeds café"))
    desk.conversation.merge(a.id, b.id, by="amy", reason="same visit")
    desk.conversation.split(a.id, [1], by="amy", reason="another matter")
    desk.acknowledge(a.id, by="amy")
    desk.take_action(a.id, by="amy", summary="Done")
    desk.thank(a.id, by="amy")
    desk.explain(a.id, by="amy", what_failed="x", what_changes="y")
    desk.conversation.request_verification(a.id, by="amy")
    desk.conversation.verify(a.id, resolved=True)
    desk.outbox.dispatch()
    merged = valid(got.of("case.merged"))
    assert (merged["case_id"], merged["data"]["merged_case_id"]) == (a.id, b.id)
    into = valid(got.of("case.merged_into"))
    assert (into["case_id"], into["data"]["into_case_id"]) == (b.id, a.id)
    split = valid(got.of("case.split"))["data"]
    assert split["messages"] == 1
    opened = [valid(e) for e in got.events if e.type == "case.opened"]
    assert opened[-1]["case_id"] == split["new_case_id"]
    assert opened[-1]["data"]["origin"] == {"kind": "split", "case_id": a.id, "invitation_id": None}
    valid(got.of("case.verification_requested"))
    assert valid(got.of("case.verified"))["data"]["resolved"] is True


@pytest.mark.parametrize("kinds", [{"case.opened"}, {"case.*"}, None])
def test_only_the_events_subscribed_to_are_queued(
    every_store: CaseStore, clock: ManualClock, kinds: set[str] | None
) -> None:
    desk, _got, _ = subscribed(every_store, clock, kinds)
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    keys = [m.key for m in every_store.outbox_ready(clock.now(), 100)]
    events = [k for k in keys if k.count("/") == 2 and "." in k.rsplit("/", 1)[1]]
    expected = ["case.opened"] if kinds == {"case.opened"} else ["case.opened", "case.acknowledged"]
    assert sorted(k.rsplit("/", 1)[1] for k in events) == sorted(expected)
