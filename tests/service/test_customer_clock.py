"""A clock that steps backwards never writes a customer's identity history out of order
either: a link, unlink, merge, unmerge or erasure is stamped at the later of the clock and
the record's last change (an unlink not before the last event on their cases), so the
status page still knows which handles were theirs when they wrote."""

from __future__ import annotations

from contextlib import nullcontext, suppress
from datetime import timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from closedloop import (
    CaseStore,
    Channel,
    Customer,
    CustomerEvent,
    Desk,
    IdentityChange,
    Policy,
    SQLiteStore,
    StatusLinks,
    ValidationError,
)
from closedloop.domain.change import CustomerChange
from closedloop.domain.checks import instant
from closedloop.domain.customers import identity
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier, SequentialIds
from tests.helpers import START, make_feedback

LINKS = StatusLinks(secret="s3cret-for-the-status-links-0123")


def in_order(customer: Customer) -> bool:
    times = [instant(e.at) for e in customer.events]
    return times == sorted(times)


def make_desk(store: CaseStore, clock: ManualClock) -> Desk:
    policy = Policy(status_links=LINKS)
    return Desk(store, RecordingNotifier(), clock=clock, policy=policy, ids=SequentialIds())


def test_an_unlink_after_the_clock_stepped_back_keeps_their_message_on_the_page(
    every_store: CaseStore,
) -> None:
    """Found by a probe: the clock stepped back before an unlink stamped UNLINKED before
    LINKED, and the message the customer had written from that handle left their page."""
    clock = ManualClock(START)
    desk = make_desk(every_store, clock)
    desk.customers.link("sam@example.com", "@sam", customer="crm-1", by="crm-sync")
    case = desk.listen(make_feedback(customer="sam@example.com", text="Kitchen botched"))
    clock.advance(minutes=5)
    tweet = make_feedback(customer="@sam", channel=Channel.SOCIAL_MEDIA, text="Still nothing")
    desk.conversation.add_message(case.id, attrs.evolve(tweet, received_at=clock.now()))
    written = desk.get(case.id).events[-1].at
    clock.set(START - timedelta(minutes=10))  # NTP pulls the clock back

    sam = desk.customers.unlink("crm-1", "@sam", by="crm-sync")

    assert in_order(sam)
    assert instant(sam.events[-1].at) == instant(written)  # after what they wrote
    token = desk.portal.link(case.id)
    mine = ["Kitchen botched", "Still nothing"]
    assert [e.text for e in desk.portal.view(token).entries if e.by_customer] == mine
    clock.set(START + timedelta(minutes=10))  # the clock caught up: @sam is someone else's now
    later = attrs.evolve(tweet, text="Someone else now", received_at=clock.now())
    desk.conversation.add_message(case.id, later)
    assert [e.text for e in desk.portal.view(token).entries if e.by_customer] == mine


def test_every_identity_change_after_the_clock_stepped_back_is_stamped_at_the_last_change(
    embedded_store: CaseStore,
) -> None:
    clock = ManualClock(START)
    desk = make_desk(embedded_store, clock)
    desk.customers.link("ann@example.com", customer="crm-ann", by="crm")
    clock.advance(hours=2)
    desk.customers.link("bob@example.com", customer="crm-bob", by="crm")
    last = clock.now()
    clock.set(START - timedelta(hours=1))
    desk.customers.link("+441", customer="crm-ann", by="crm")
    desk.customers.merge("crm-ann", "crm-bob", by="amy")
    ann, bob = desk.customers.unmerge("crm-ann", "crm-bob", by="amy")
    for customer in (ann, bob, desk.customers.get("crm-ann"), desk.customers.get("crm-bob")):
        assert in_order(customer), customer.events
    changes = [(e.change, instant(e.at)) for e in ann.events]
    assert changes == [
        (IdentityChange.LINKED, instant(START)),
        (IdentityChange.LINKED, instant(START)),  # its own last change, not bob's
        (IdentityChange.MERGED, instant(last)),  # the later of both records
        (IdentityChange.UNMERGED, instant(last)),
    ]
    clock.set(START - timedelta(hours=3))
    desk.customers.erase("ann@example.com")
    erased = desk.customers.get("crm-ann")
    assert erased.events[-1].change is IdentityChange.ERASED
    assert instant(erased.events[-1].at) == instant(last)
    assert in_order(erased)


def test_the_domain_refuses_an_identity_change_before_the_records_last_change() -> None:
    ann = identity.link("crm-ann", ["ann@example.com", "+441"], at=START, by="crm")
    bob = identity.link("crm-bob", ["bob@example.com"], at=START + timedelta(hours=1), by="crm")
    early = START - timedelta(seconds=1)
    refused = [
        lambda: identity.link(ann, ["@ann"], at=early, by="crm"),
        lambda: identity.unlink(ann, "+441", at=early, by="crm"),
        lambda: identity.merge(ann, bob, at=START, by="amy"),  # before bob's last change
        lambda: identity.merge(bob, ann, at=START, by="amy"),
    ]
    for change in refused:
        with pytest.raises(ValidationError, match="never goes back in time") as caught:
            change()
        assert caught.value.field == "at"
    merged, emptied = identity.merge(ann, bob, at=START + timedelta(hours=1), by="amy")
    with pytest.raises(ValidationError, match="before the last change"):
        identity.unmerge(merged, emptied, at=START, by="amy")
    assert identity.unlink(ann, "+441", at=START, by="crm").handles == {"ann@example.com"}


def test_a_stored_record_out_of_order_is_read_back_whole(embedded_store: CaseStore) -> None:
    """A record written before changes were held to its last one may hold an UNLINKED
    before its LINKED: a store reads it back as it is, and the next change goes on from
    its last instant."""
    linked = CustomerEvent(IdentityChange.LINKED, 1, START, "crm", ("a@x.example", "b@x"))
    unlinked = CustomerEvent(IdentityChange.UNLINKED, 2, START - timedelta(hours=1), "crm",
                             ("b@x",))  # fmt: skip
    old = Customer("crm-old", frozenset({"a@x.example"}), 2, (linked, unlinked))
    embedded_store.commit_customers([CustomerChange(old, 0)])
    clock = ManualClock(START - timedelta(hours=2))
    desk = make_desk(embedded_store, clock)
    assert desk.customers.get("crm-old") == old
    again = desk.customers.link("c@x", customer="crm-old", by="crm")
    assert instant(again.events[-1].at) == instant(unlinked.at)


_ACTS = st.sampled_from(["link", "unlink", "merge", "unmerge", "write", "erase"])


@given(
    moves=st.lists(st.tuples(st.integers(-2 * 24 * 60, 2 * 24 * 60), _ACTS), max_size=12),
    sqlite=st.booleans(),
)
def test_any_clock_moves_keep_every_customers_history_in_order(
    moves: list[tuple[int, str]], sqlite: bool
) -> None:
    clock = ManualClock(START)
    with SQLiteStore(":memory:") if sqlite else nullcontext(InMemoryStore()) as store:
        desk = make_desk(store, clock)
        desk.customers.link("ann@example.com", customer="crm-ann", by="crm")
        desk.customers.link("bob@example.com", customer="crm-bob", by="crm")
        case = desk.listen(make_feedback(customer="ann@example.com"))
        for n, (minutes, act) in enumerate(moves):
            clock.set(clock.now() + timedelta(minutes=minutes))
            with suppress(ValidationError):  # not linked, already merged, not merged...
                if act == "link":
                    desk.customers.link(f"+44{n}", customer="crm-ann", by="crm")
                elif act == "unlink":
                    ann = desk.customers.get("crm-ann")
                    handles = sorted(ann.handles - {"ann@example.com"})
                    if handles:
                        desk.customers.unlink("crm-ann", handles[0], by="crm")
                elif act == "merge":
                    desk.customers.merge("crm-ann", "crm-bob", by="amy")
                elif act == "unmerge":
                    desk.customers.unmerge("crm-ann", "crm-bob", by="amy")
                elif act == "write":
                    said = make_feedback(customer="ann@example.com", text=f"News {n}?")
                    desk.conversation.add_message(
                        case.id, attrs.evolve(said, received_at=clock.now())
                    )
                else:
                    desk.customers.erase("bob@example.com")
        for record in (desk.customers.get("crm-ann"), desk.customers.get("crm-bob")):
            assert in_order(record), record.events
