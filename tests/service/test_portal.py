"""desk.portal: the customer's status link, what it shows and hides, what it lets them do,
and when it stops working."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    Channel,
    Desk,
    Policy,
    ShowOwner,
    StatusLinkError,
    StatusLinks,
    StepNotAllowedError,
    StepRefusedError,
    Templates,
    ValidationError,
    WaitingOn,
)
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback, take_step

SECRET = "s3cret-for-the-status-links-0123"
LINKS = StatusLinks(secret=SECRET, url="https://help.acme.example/s/{token}")


def make_desk(store: CaseStore, clock: ManualClock, links: StatusLinks = LINKS) -> Desk:
    policy = Policy(status_links=links)
    return Desk(store, RecordingNotifier(), clock=clock, policy=policy, ids=SequentialIds())


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def desk(every_store: CaseStore, clock: ManualClock) -> Desk:
    return make_desk(every_store, clock)


def test_the_page_shows_the_story_and_hides_what_is_internal(desk: Desk) -> None:
    case = desk.listen(make_feedback(text="My sofa came torn"))
    desk.acknowledge(case.id, by="amy.lee@acme.example")
    desk.conversation.note(case.id, "Customer sounds like a lawyer", by="amy")
    desk.conversation.log_contact(case.id, Channel.PHONE, "Said she will sue", by="amy")
    desk.conversation.reply(case.id, "A new cover ships on Friday", by="amy")
    desk.take_action(case.id, by="amy", summary="Charged it to the courier's account 4411")
    page = desk.portal.view(desk.portal.link(case.id))
    assert (page.reference, page.matter, page.who) == (case.id, case.subject, "Amy")
    assert [(e.by_customer, e.what, e.text) for e in page.entries] == [
        (True, "You wrote", "My sofa came torn"),
        (False, "We acknowledged your message", ""),
        (False, "We spoke to you (phone)", ""),
        (False, "We replied", "A new cover ships on Friday"),
        (False, "We took action", ""),
    ]
    shown = repr(page)
    for internal in ("lawyer", "sue", "4411"):
        assert internal not in shown
    assert page.open
    assert page.reopen_until is None


def test_a_deadline_that_passed_is_not_shown_as_what_happens_next(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: at 14:00 the page said "by 13:00"."""
    case = desk.listen(make_feedback())
    due = desk.portal.view(desk.portal.link(case.id)).next_by
    assert due is not None
    clock.set(due + timedelta(hours=1))

    page = desk.portal.view(desk.portal.link(case.id))

    assert (page.next_step, page.next_by) == (
        "We are late, and we will confirm we have your message as soon as we can",
        None,
    )


def test_what_happens_next_is_the_promise_the_customer_was_given(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    first = desk.portal.view(desk.portal.link(case.id))
    assert first.stage == "Received: we will confirm it soon"
    assert first.next_step == "We will confirm we have your message"
    assert first.next_by is not None
    acknowledged = desk.acknowledge(case.id, by="amy")
    page = desk.portal.view(desk.portal.link(case.id))
    assert page.stage == "We are working on it"
    assert acknowledged.contact_promise is not None
    assert (page.next_step, page.next_by) == (
        "We will contact you",
        acknowledged.contact_promise.due_by,
    )
    desk.conversation.await_customer(case.id, by="amy", question="Which colour was it?")
    waiting = desk.portal.view(desk.portal.link(case.id))
    assert (waiting.stage, waiting.next_step, waiting.next_by) == (
        "Waiting for your answer to our question",
        "We will carry on when you answer",
        None,
    )
    assert waiting.entries[-1].text == "Which colour was it?"


def test_promises_say_whether_they_were_kept_in_time(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.promises.make(
        case.id, what="Call you", due_by=START + timedelta(days=1), owner="amy", by="amy"
    )
    desk.promises.make(
        case.id, what="Refund", due_by=START + timedelta(days=3), owner="amy", by="amy"
    )
    clock.advance(days=2)
    (kept,) = [p for p in desk.get(case.id).promises if p.what == "Call you"]
    desk.promises.keep(case.id, kept.id, by="amy")
    page = desk.portal.view(desk.portal.link(case.id))
    assert [(p.what, p.kept_at is not None, p.late) for p in page.promises] == [
        ("Call you", True, True),
        ("Refund", False, False),
    ]
    clock.advance(days=2)
    later = desk.portal.view(desk.portal.link(case.id))
    assert [p.late for p in later.promises] == [True, True]


def test_the_customer_may_write_and_a_paused_clock_starts_again(desk: Desk) -> None:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.conversation.await_customer(case.id, by="amy", question="Which colour?")
    page = desk.portal.write(desk.portal.link(case.id), "Dark green")
    assert page.entries[-1] == attrs.evolve(page.entries[-1], by_customer=True, text="Dark green")
    after = desk.get(case.id)
    assert not after.awaiting_customer
    assert after.messages[-1].channel == Channel.WEB_FORM


def _closed(desk: Desk) -> str:
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    desk.take_action(case.id, by="amy", summary="Replaced it")
    desk.thank(case.id, by="amy")
    desk.explain(case.id, by="amy", what_failed="Packing", what_changes="Corner guards")
    return case.id


def test_not_resolved_reopens_a_closed_case_within_the_window(
    desk: Desk, clock: ManualClock
) -> None:
    case_id = _closed(desk)
    token = desk.portal.link(case_id)
    closed = desk.portal.view(token)
    assert (closed.stage, closed.next_step, closed.open) == ("Closed", None, False)
    assert closed.reopen_until == desk.get(case_id).closed_at + desk.policy.reopen_within  # type: ignore[operator]
    assert closed.entries[-1].text == "What went wrong: Packing\nWhat we change: Corner guards"
    page = desk.portal.not_resolved(token, "The new one is torn too")
    assert page.open
    assert page.entries[-1].what == "You told us it is not resolved"
    with pytest.raises(StepNotAllowedError):
        desk.portal.not_resolved(token, "Still torn")  # it is open: write instead


def test_not_resolved_after_the_window_is_refused_and_writing_follows_up(
    desk: Desk, clock: ManualClock
) -> None:
    case_id = _closed(desk)
    clock.advance(days=30)
    token = desk.portal.link(case_id)
    with pytest.raises(StepRefusedError, match="reopen window"):
        desk.portal.not_resolved(token, "Still torn")
    assert not desk.get(case_id).is_active
    page = desk.portal.write(token, "Still torn")
    assert page.reference != case_id  # a new case that follows the old one up
    assert page.open


def test_a_link_expires(desk: Desk, clock: ManualClock) -> None:
    case = desk.listen(make_feedback())
    token = desk.portal.link(case.id)
    clock.advance(LINKS.valid_for - timedelta(seconds=1))
    desk.portal.view(token)
    clock.advance(seconds=1)
    with pytest.raises(StatusLinkError, match="expired"):
        desk.portal.view(token)


def test_a_new_secret_revokes_every_link(every_store: CaseStore, clock: ManualClock) -> None:
    desk = make_desk(every_store, clock)
    case = desk.listen(make_feedback())
    token = desk.portal.link(case.id)
    rotated = make_desk(
        every_store, clock, attrs.evolve(LINKS, secret="another-secret-of-32-characters")
    )
    with pytest.raises(StatusLinkError, match="revoked"):
        rotated.portal.view(token)


def test_erasing_the_customer_revokes_their_links(desk: Desk) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com"))
    token = desk.portal.link(case.id)
    desk.customers.erase("ann@example.com")
    with pytest.raises(StatusLinkError):
        desk.portal.view(token)
    with pytest.raises(StatusLinkError):
        desk.portal.write(token, "hello?")


def test_a_link_works_only_in_its_own_tenant(clock: ManualClock) -> None:
    store = InMemoryStore()
    desk = make_desk(store, clock)
    case = desk.listen(make_feedback())
    token = desk.portal.link(case.id)
    other = make_desk(store.for_tenant("other"), clock)
    other.listen(make_feedback())  # a case with the same id, in the other tenant
    with pytest.raises(StatusLinkError):
        other.portal.view(token)


@given(position=st.integers(0, 200), replacement=st.characters(codec="ascii"))
def test_any_changed_character_makes_the_link_useless(position: int, replacement: str) -> None:
    desk = make_desk(InMemoryStore(), ManualClock(START))
    case = desk.listen(make_feedback())
    desk.listen(make_feedback(customer="bob@example.com"))
    token = desk.portal.link(case.id)
    i = position % len(token)
    forged = token[:i] + replacement + token[i + 1 :]
    if forged == token:
        return
    with pytest.raises(StatusLinkError):
        desk.portal.view(forged)


@pytest.mark.parametrize("token", ["", "abc", "a.b.c", "x" * 3000, 42])
def test_what_is_not_a_token_is_refused_clearly(desk: Desk, token: object) -> None:
    with pytest.raises(StatusLinkError, match="cannot be used"):
        desk.portal.view(token)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("show", "owner", "who"),
    [
        (ShowOwner.FIRST_NAME, "Amy Lee", "Amy"),
        (ShowOwner.FIRST_NAME, "amy.lee@acme.example", "Amy"),
        (ShowOwner.TEAM, "Amy Lee", "our customer care team"),
        (ShowOwner.OUR_TEAM, "Amy Lee", "our team"),
    ],
)
def test_who_is_on_it_is_shown_as_the_policy_says(
    clock: ManualClock, show: ShowOwner, owner: str, who: str
) -> None:
    desk = make_desk(InMemoryStore(), clock, attrs.evolve(LINKS, show_owner=show))
    case = desk.listen(make_feedback())
    unassigned = "our customer care team" if show is ShowOwner.TEAM else "our team"
    assert desk.portal.view(desk.portal.link(case.id)).who == unassigned
    desk.assign(case.id, owner=owner, by="lead")
    assert desk.portal.view(desk.portal.link(case.id)).who == who


def test_the_acknowledgement_carries_the_link_and_the_outbox_forgets_it(
    every_store: CaseStore, clock: ManualClock
) -> None:
    notifier = RecordingNotifier()
    templates = Templates(acknowledgement="We have it. Follow it here: $status_link\n")
    policy = Policy(status_links=LINKS, templates=templates)
    desk = Desk(every_store, notifier, clock=clock, policy=policy, ids=SequentialIds())
    case = desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    (key,) = desk.outbox.dispatch().sent
    (sent,) = notifier.sent
    url = sent.body.split("here: ")[1].strip()
    assert url.startswith("https://help.acme.example/s/")
    token = url.removeprefix("https://help.acme.example/s/")
    assert desk.portal.view(token).reference == case.id
    stored = every_store.outbox_message(key).notification
    assert token not in stored.body
    assert "[token]" in stored.body


def test_without_status_links_the_portal_says_how_to_turn_them_on(clock: ManualClock) -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock)
    case = desk.listen(make_feedback())
    with pytest.raises(ValidationError, match="StatusLinks"):
        desk.portal.link(case.id)
    with pytest.raises(ValidationError, match="16 characters"):
        StatusLinks(secret="short")
    with pytest.raises(ValidationError, match="token"):
        StatusLinks(secret=SECRET, url="https://help.acme.example/s/")


def test_a_link_to_a_case_merged_into_someone_elses_never_shows_or_writes_on_it(
    desk: Desk,
) -> None:
    ann = desk.listen(make_feedback(customer="ann@example.com", text="ANN PRIVATE"))
    desk.conversation.reply(ann.id, "refund to 12 Ann St", by="amy")
    bob = desk.listen(make_feedback(customer="bob@example.com", text="Bob text"))
    token = desk.portal.link(bob.id)
    desk.conversation.merge(ann.id, bob.id, by="amy", reason="agent error")
    page = desk.portal.view(token)
    assert (page.reference, page.stage) == (bob.id, "Joined to another case about the same matter")
    assert "ANN" not in repr(page)
    assert ann.id not in repr(page)
    written = desk.portal.write(token, "hello?")
    assert written.reference not in (ann.id, bob.id)  # a new case of Bob's
    assert desk.get(written.reference).customer == "bob@example.com"
    assert "ANN" not in repr(written)
    assert "12 Ann St" not in repr(written)
    assert [m.text for m in desk.get(ann.id).messages] == ["ANN PRIVATE", "Bob text"]


def test_a_link_to_a_case_merged_into_another_of_the_same_customer_passes_it_on(
    desk: Desk,
) -> None:
    first = desk.listen(make_feedback(customer="ann@example.com", text="The table"))
    second = desk.listen(make_feedback(customer="ann@example.com", text="The chair"))
    token = desk.portal.link(second.id)
    desk.conversation.merge(first.id, second.id, by="amy", reason="one delivery")
    page = desk.portal.write(token, "Both came today")
    assert page.reference == first.id
    assert desk.get(first.id).messages[-1].text == "Both came today"


def test_no_link_is_issued_for_an_erased_customer(desk: Desk) -> None:
    case = desk.listen(make_feedback(customer="ann@example.com"))
    desk.customers.erase("ann@example.com")
    with pytest.raises(StatusLinkError, match="erased"):
        desk.portal.link(case.id)


@pytest.mark.parametrize(
    ("field", "value"), [("show_actions", "no"), ("show_owner", "first"), ("team", None)]
)
def test_status_link_settings_of_the_wrong_type_are_refused(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        StatusLinks(secret=SECRET, **{field: value})  # type: ignore[arg-type]
    assert caught.value.field == field


def test_a_promise_announced_late_shows_its_new_time(every_store: CaseStore) -> None:
    from closedloop import LateMode, Lateness

    clock = ManualClock(START)
    policy = Policy(status_links=LINKS, lateness=Lateness(mode=LateMode.NOTIFY))
    desk = Desk(every_store, RecordingNotifier(), clock=clock, policy=policy, ids=SequentialIds())
    case = desk.listen(make_feedback())
    desk.acknowledge(case.id, by="amy")
    first = START + timedelta(hours=2)
    desk.promises.make(case.id, what="Call you", due_by=first, owner="amy", by="amy")
    clock.advance(hours=3)
    desk.sweep()
    (promise,) = desk.get(case.id).promises
    assert promise.rescheduled_to is not None  # the customer was told a new time
    (shown,) = desk.portal.view(desk.portal.link(case.id)).promises
    assert (shown.what, shown.due_by, shown.kept_at, shown.late) == (
        "Call you",
        promise.rescheduled_to,
        None,
        True,
    )


def test_a_promised_time_that_has_passed_is_never_shown_as_what_happens_next(
    desk: Desk, clock: ManualClock
) -> None:
    case = desk.listen(make_feedback())
    acknowledged = desk.acknowledge(case.id, by="amy")
    desk.conversation.hold(
        case.id, WaitingOn.THIRD_PARTY, by="amy", reason="the courier",
        resume_by=clock.now() + timedelta(days=10),
    )  # fmt: skip
    assert acknowledged.contact_promise is not None
    clock.advance(days=5)  # past the acknowledgement's "you hear from us by"
    page = desk.portal.view(desk.portal.link(case.id))
    assert (page.next_step, page.next_by) == (
        "We are late getting back to you, and will as soon as we can",
        None,
    )


def test_the_page_never_shows_another_customers_message_on_the_case(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: a message added from Joe's handle to Ann's case read
    "You wrote" on Ann's page, with Joe's words."""
    ann = desk.listen(make_feedback(customer="ann@example.com", text="My lamp is broken"))
    joe = make_feedback(customer="joe@example.com", text="JOE-PRIVATE: card ends 4242")
    desk.conversation.add_message(ann.id, attrs.evolve(joe, received_at=clock.now()))
    page = desk.portal.view(desk.portal.link(ann.id))
    assert [(e.what, e.text) for e in page.entries] == [("You wrote", "My lamp is broken")]
    assert "JOE-PRIVATE" not in repr(page)


def test_the_page_shows_the_customers_own_messages_merged_in_and_from_linked_handles(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: a message merged in from the customer's other case was
    missing from their page. Merged messages keep their own times, so the story stays in
    order; one from a handle linked to the customer is theirs too."""
    desk.customers.link("lee@example.com", "+441234567890", by="amy")
    a = desk.listen(make_feedback(customer="lee@example.com", text="Refund for the lamp"))
    clock.advance(timedelta(minutes=5))
    phone = make_feedback(customer="+441234567890", channel=Channel.PHONE, text="It cost 40")
    b = desk.listen(attrs.evolve(phone, received_at=clock.now()))
    clock.advance(timedelta(minutes=5))
    desk.acknowledge(a.id, by="amy")
    clock.advance(timedelta(minutes=5))
    desk.conversation.merge(a.id, b.id, by="amy", reason="same refund")
    page = desk.portal.view(desk.portal.link(a.id))
    assert [(e.what, e.text) for e in page.entries] == [
        ("You wrote", "Refund for the lamp"),
        ("You wrote", "It cost 40"),
        ("We acknowledged your message", ""),
    ]
    assert [e.at for e in page.entries] == sorted(e.at for e in page.entries)


def test_a_handle_unlinked_later_keeps_the_messages_written_from_it_on_the_page(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: unlinking a handle took the customer's own earlier
    messages from it (written while it was theirs, or merged in) off their page. A message
    written from it after the unlink is someone else's."""
    desk.customers.link("sam@example.com", "@sam", "+441", customer="crm-1", by="crm-sync")
    case = desk.listen(make_feedback(customer="sam@example.com", text="Kitchen botched"))
    clock.advance(timedelta(minutes=5))
    tweet = make_feedback(customer="@sam", channel=Channel.SOCIAL_MEDIA, text="Still nothing")
    desk.conversation.add_message(case.id, attrs.evolve(tweet, received_at=clock.now()))
    call = make_feedback(customer="+441", channel=Channel.PHONE, text="It cost 40")
    other = desk.listen(attrs.evolve(call, received_at=clock.now()))
    desk.conversation.merge(case.id, other.id, by="amy", reason="same kitchen")
    token = desk.portal.link(case.id)
    mine = ["Kitchen botched", "Still nothing", "It cost 40"]
    assert [e.text for e in desk.portal.view(token).entries if e.by_customer] == mine

    clock.advance(timedelta(minutes=5))
    desk.customers.unlink("crm-1", "@sam", by="crm-sync")
    desk.customers.unlink("crm-1", "+441", by="crm-sync")
    assert [e.text for e in desk.portal.view(token).entries if e.by_customer] == mine
    clock.advance(timedelta(minutes=5))
    later = attrs.evolve(tweet, text="Someone else now", received_at=clock.now())
    desk.conversation.add_message(case.id, later)
    assert [e.text for e in desk.portal.view(token).entries if e.by_customer] == mine


def test_a_mistaken_merge_undone_never_shows_the_other_customers_words(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a review: after Ann was merged into Bob by mistake, wrote on Bob's case,
    and the merge was undone, Bob's page showed Ann's words as his."""
    desk.customers.link("bob@example.com", customer="crm-bob", by="crm-sync")
    desk.customers.link("ann@example.com", customer="crm-ann", by="crm-sync")
    case = desk.listen(make_feedback(customer="bob@example.com", text="Bob's sofa"))
    desk.customers.merge("crm-bob", "crm-ann", by="amy")
    clock.advance(timedelta(minutes=5))
    ann = make_feedback(customer="ann@example.com", text="Ann: my address is 1 Elm St")
    desk.conversation.add_message(case.id, attrs.evolve(ann, received_at=clock.now()))
    clock.advance(timedelta(minutes=5))
    desk.customers.unmerge("crm-bob", "crm-ann", by="amy")

    page = desk.portal.view(desk.portal.link(case.id))
    assert [e.text for e in page.entries if e.by_customer] == ["Bob's sofa"]


def test_a_reopen_by_staff_is_ours_and_keeps_its_reason_from_the_customer(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: an agent's reopen read "You told us it is not resolved",
    with the agent's internal reason."""
    case = desk.listen(make_feedback(customer="ann@example.com"))
    for step in ("acknowledge", "take_action", "thank", "explain"):
        take_step(desk, case.id, step)
    desk.reopen(case.id, reason="QA audit: amy forgot the refund", by="amy")
    page = desk.portal.view(desk.portal.link(case.id))
    assert (page.entries[-1].by_customer, page.entries[-1].what) == (False, "We reopened your case")
    assert "QA audit" not in repr(page)
    for step in ("take_action", "thank", "explain"):
        take_step(desk, case.id, step)
    desk.reopen(case.id, reason="Still no refund")  # by the customer
    last = desk.portal.view(desk.portal.link(case.id)).entries[-1]
    assert (last.by_customer, last.what, last.text) == (
        True,
        "You told us it is not resolved",
        "Still no refund",
    )
