"""A merge never loses a decline: the case the matter continues on shows the requests
declined on the cases merged into it (staff and the customer's status page), a split hands
them on with the messages of the customer they were said to, and the no log and insights
count each decline once, on the case it was made on."""

from __future__ import annotations

from datetime import datetime, timedelta

import attrs
import pytest

from closedloop import Case, Desk, FeedbackKind, Policy, Stage, StatusLinks
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback

LINKS = StatusLinks(secret="s3cret-for-the-status-links-0123")
PERIOD = (START - timedelta(days=1), START + timedelta(days=1))
NO = "We could not do what you asked"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def desk(every_store: CaseStore, clock: ManualClock) -> Desk:
    policy = Policy(status_links=LINKS)
    return Desk(every_store, RecordingNotifier(), clock=clock, policy=policy, ids=SequentialIds())


def declined_case(
    desk: Desk, clock: ManualClock, reason: str, category: str = "policy", who: str = "mary"
) -> Case:
    case = desk.listen(make_feedback(FeedbackKind.QUESTION, customer=f"{who}@example.com",
                                     text=f"Can I get {reason}?"))  # fmt: skip
    clock.advance(timedelta(minutes=5))
    desk.acknowledge(case.id, by="amy")
    clock.advance(timedelta(minutes=5))
    case = desk.decline(case.id, by="amy", reason=f"No {reason}", category=category,
                        asked=reason)  # fmt: skip
    clock.advance(timedelta(minutes=5))
    return case


def fresh_case(desk: Desk, clock: ManualClock, text: str = "Hello again?") -> Case:
    case = desk.listen(make_feedback(FeedbackKind.QUESTION, text=text))
    clock.advance(timedelta(minutes=5))
    return case


def counted(desk: Desk) -> tuple[dict[str, int], dict[str, int], list[str]]:
    """The declines by category in the no log and in the insights, and the no log's cases."""
    log = desk.reports.no_log(*PERIOD)
    insights = desk.reports.insights(*PERIOD)
    by_insights = {c.category: c.count for c in insights.no_log.categories}
    examples = sorted(e.case_id for c in log.categories for e in c.examples)
    return {c.category: c.count for c in log.categories}, by_insights, examples


def no_lines(desk: Desk, case_id: str) -> list[tuple[datetime, str]]:
    page = desk.portal.view(desk.portal.link(case_id))
    return [(e.at, e.text) for e in page.entries if e.what == NO]


def test_a_declined_case_merged_into_an_unacknowledged_one_keeps_its_decline(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a newcomer's probe: merging a declined case into one not yet acknowledged
    left the surviving case without any trace of the decline, and its status page without
    the reason the customer was given."""
    no = declined_case(desk, clock, "a refund after 60 days")
    said_no = no.events[-1]
    again = fresh_case(desk, clock, "Refund please, it has been 60 days")
    before = counted(desk)
    assert before == ({"policy": 1}, {"policy": 1}, [no.id])

    survivor = desk.conversation.merge(again.id, no.id, by="amy", reason="same refund")

    assert no_lines(desk, again.id) == [(said_no.at, "No a refund after 60 days")]
    assert counted(desk) == before  # counted once, on the case it was declined on
    (decline,) = survivor.declines
    assert (decline.case_id, decline.customer, decline.at, decline.by) == (
        no.id, no.customer, said_no.at, "amy",
    )  # fmt: skip
    assert (decline.reason, decline.category, decline.asked) == (
        "No a refund after 60 days", "policy", "a refund after 60 days",
    )  # fmt: skip
    assert desk.get(again.id).declines == survivor.declines  # as stored
    # The new message is still owed its acknowledgement: the decline is on record, not a step.
    assert (survivor.stage, survivor.declined) == (Stage.LISTENED, None)


def test_an_unacknowledged_case_merged_into_a_declined_one_counts_once(
    desk: Desk, clock: ManualClock
) -> None:
    no = declined_case(desk, clock, "a refund")
    again = fresh_case(desk, clock)
    before = counted(desk)
    survivor = desk.conversation.merge(no.id, again.id, by="amy", reason="same refund")
    assert [d.case_id for d in survivor.declines] == [no.id]
    assert desk.get(again.id).declines == ()
    assert counted(desk) == before
    assert [text for _, text in no_lines(desk, no.id)] == ["No a refund"]


def test_two_declined_cases_merged_keep_both_declines_each_counted_once(
    desk: Desk, clock: ManualClock
) -> None:
    first = declined_case(desk, clock, "a refund", "policy")
    second = declined_case(desk, clock, "a blue one", "out_of_stock")
    survivor = desk.conversation.merge(second.id, first.id, by="amy", reason="same order")
    assert [(d.case_id, d.reason) for d in survivor.declines] == [
        (first.id, "No a refund"), (second.id, "No a blue one"),
    ]  # fmt: skip
    assert counted(desk) == (
        {"out_of_stock": 1, "policy": 1}, {"out_of_stock": 1, "policy": 1},
        sorted([first.id, second.id]),
    )  # fmt: skip
    assert [text for _, text in no_lines(desk, second.id)] == ["No a refund", "No a blue one"]


def test_a_decline_follows_the_matter_through_merge_after_merge(
    desk: Desk, clock: ManualClock
) -> None:
    no = declined_case(desk, clock, "a refund")
    middle, last = fresh_case(desk, clock), fresh_case(desk, clock)
    desk.conversation.merge(middle.id, no.id, by="amy", reason="same")
    survivor = desk.conversation.merge(last.id, middle.id, by="amy", reason="same")
    assert [d.case_id for d in survivor.declines] == [no.id]
    assert counted(desk)[0] == {"policy": 1}
    assert [text for _, text in no_lines(desk, last.id)] == ["No a refund"]


def test_a_decline_on_someone_elses_case_merged_by_mistake_is_not_on_the_page(
    desk: Desk, clock: ManualClock
) -> None:
    """The status page never shows what was said to another customer: staff see the
    decline on the case, the customer's page does not."""
    bob = declined_case(desk, clock, "a discount", who="bob")
    mary = fresh_case(desk, clock)
    survivor = desk.conversation.merge(mary.id, bob.id, by="amy", reason="agent error")
    assert [d.customer for d in survivor.declines] == ["bob@example.com"]
    assert no_lines(desk, mary.id) == []


def test_erasing_the_customer_erases_the_record_of_their_decline_on_other_cases(
    desk: Desk, clock: ManualClock
) -> None:
    """What the customer asked for and what they were told, carried by a merge onto their
    other case or (by mistake) onto someone else's, goes with their erasure as it goes from
    the case it was declined on."""
    ann = declined_case(desk, clock, "a zebra sofa refund", who="ann")
    again = desk.listen(make_feedback(customer="ann@example.com", text="Sofa?"))
    desk.conversation.merge(again.id, ann.id, by="amy", reason="same")
    other = declined_case(desk, clock, "a zebra lamp refund", who="ann")
    bob = fresh_case(desk, clock)
    desk.conversation.merge(bob.id, other.id, by="amy", reason="agent error")

    erasure = desk.customers.erase("ann@example.com")

    for case_id in (again.id, bob.id):
        case = desk.get(case_id)
        assert "zebra" not in repr(case.events)
        assert "ann@" not in repr(case.events)
        assert [(d.customer, d.asked, d.reason) for d in case.declines] == [
            (erasure.pseudonym, "[erased]", "[erased]")
        ]
    assert desk.get(bob.id).customer == "mary@example.com"  # Bob's own case stays his
    assert counted(desk)[0] == {"policy": 2}


def test_a_split_after_a_merge_takes_the_decline_with_its_customers_messages(
    desk: Desk, clock: ManualClock
) -> None:
    """Found by a probe: Bob's declined case merged into Mary's by mistake, then his
    messages split off again: the decline stayed on Mary's case, and the case Bob's
    messages went to (and his status page) had none."""
    bob = declined_case(desk, clock, "a discount", who="bob")
    said_no = bob.events[-1]
    mary = fresh_case(desk, clock)
    merged = desk.conversation.merge(mary.id, bob.id, by="amy", reason="agent error")
    before = counted(desk)
    (record,) = merged.declines

    kept, split = desk.conversation.split(mary.id, [1], by="amy", reason="Bob's, not Mary's")

    assert [m.customer for m in split.messages] == ["bob@example.com"]
    assert (kept.declines, split.declines) == ((), (record,))
    assert (desk.get(mary.id).declines, desk.get(split.id).declines) == ((), (record,))
    assert no_lines(desk, split.id) == [(said_no.at, "No a discount")]
    assert no_lines(desk, mary.id) == []
    assert no_lines(desk, bob.id) == [(said_no.at, "No a discount")]  # his own case's, still
    assert counted(desk) == before == ({"policy": 1}, {"policy": 1}, [bob.id])
    # Merged back, the record comes back with the messages, once.
    again = desk.conversation.merge(mary.id, split.id, by="amy", reason="it was one after all")
    assert again.declines == (record,)
    assert counted(desk) == before


def test_a_split_leaves_the_decline_while_a_message_of_its_customer_stays(
    desk: Desk, clock: ManualClock
) -> None:
    """Only the messages of the customer it was said to take a decline along: a split of
    some of them, or of somebody else's, leaves it where their other messages are."""
    bob = declined_case(desk, clock, "a discount", who="bob")
    mary = fresh_case(desk, clock)
    desk.conversation.merge(mary.id, bob.id, by="amy", reason="same order")
    more = make_feedback(customer="bob@example.com", text="And the lamp?")
    desk.conversation.add_message(mary.id, attrs.evolve(more, received_at=clock.now()))
    (record,) = desk.get(mary.id).declines

    kept, lamp = desk.conversation.split(mary.id, [2], by="amy", reason="the lamp")
    assert (kept.declines, lamp.declines) == ((record,), ())
    kept, mine = desk.conversation.split(mary.id, [0], by="amy", reason="Mary's own")
    assert [m.customer for m in mine.messages] == ["mary@example.com"]
    assert (kept.declines, mine.declines) == ((record,), ())
    assert counted(desk)[0] == {"policy": 1}


def test_a_split_never_takes_the_cases_own_decline(desk: Desk, clock: ManualClock) -> None:
    """A decline made on the case itself is one of its steps: it stays, whoever's
    messages go."""
    mary = declined_case(desk, clock, "a refund")
    bob = fresh_case(desk, clock)
    desk.conversation.merge(mary.id, bob.id, by="amy", reason="same")
    kept, split = desk.conversation.split(mary.id, [0], by="amy", reason="two matters")
    assert [d.case_id for d in kept.declines] == [mary.id]
    assert (kept.declined, split.declines) == ("No a refund", ())


def test_erasing_the_customer_erases_their_decline_on_both_sides_of_a_split(
    desk: Desk, clock: ManualClock
) -> None:
    bob = declined_case(desk, clock, "a zebra discount", who="bob")
    mary = fresh_case(desk, clock)
    desk.conversation.merge(mary.id, bob.id, by="amy", reason="agent error")
    _, split = desk.conversation.split(mary.id, [1], by="amy", reason="Bob's")
    erasure = desk.customers.erase("bob@example.com")
    for case_id in (mary.id, split.id):
        assert "zebra" not in repr(desk.get(case_id).events)
    assert [(d.customer, d.reason) for d in desk.get(split.id).declines] == [
        (erasure.pseudonym, "[erased]")
    ]
