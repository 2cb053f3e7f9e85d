"""One customer behind many handles: link, unlink, merge and unmerge, through the Desk."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from closedloop import (
    Channel,
    Customer,
    CustomerNotFoundError,
    Desk,
    Feedback,
    HandleTakenError,
    IdentityChange,
    ValidationError,
)
from closedloop.domain.cases.steps import open_case
from closedloop.domain.change import Change
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START, Burst


def test_linked_handles_are_one_customer_with_the_hosts_id(desk: Desk) -> None:
    mary = desk.customers.link("mary@example.com", "+44 7700 900123", customer="crm-42", by="amy")
    assert (mary.id, mary.handles) == ("crm-42", {"mary@example.com", "+44 7700 900123"})
    assert desk.customers.of_handle("+44 7700 900123") == mary
    again = desk.customers.link("@mary_tweets", "mary@example.com", by="amy")  # joins her record
    assert again.id == "crm-42"
    assert [e.change for e in again.events] == [IdentityChange.LINKED, IdentityChange.LINKED]
    assert desk.customers.get("crm-42") == again


def test_feedback_from_any_handle_reaches_the_same_customer(desk: Desk, clock: ManualClock) -> None:
    desk.customers.link("mary@example.com", "@mary_tweets", customer="crm-42", by="amy")
    first = desk.listen(Feedback(customer="mary@example.com", channel=Channel.WEB_FORM,
                                 received_at=clock.now(), text="Order 881 is late",
                                 matter_key="881"))  # fmt: skip
    tweet = desk.listen(Feedback(customer="@mary_tweets", channel=Channel.SOCIAL_MEDIA,
                                 received_at=clock.now(), text="@shop where is 881??",
                                 matter_key="881"))  # fmt: skip
    assert tweet.id == first.id  # consolidated across her handles
    other = desk.listen(Feedback(customer="@mary_tweets", channel=Channel.SOCIAL_MEDIA,
                                 received_at=clock.now(), text="Also, a question"))  # fmt: skip
    assert [c.id for c in desk.customers.cases("crm-42")] == [first.id, other.id]
    assert [c.id for c in desk.customers.cases("@mary_tweets")] == [first.id, other.id]


def test_a_handle_belongs_to_one_customer(desk: Desk) -> None:
    desk.customers.link("mary@example.com", customer="crm-42", by="amy")
    desk.customers.link("bob@example.com", customer="crm-7", by="amy")
    with pytest.raises(HandleTakenError, match="merge the two customers"):
        desk.customers.link("mary@example.com", customer="crm-7", by="amy")
    assert desk.customers.get("crm-7").handles == {"bob@example.com"}
    with pytest.raises(CustomerNotFoundError):
        desk.customers.get("crm-99")
    with pytest.raises(ValidationError):
        desk.customers.link(" spaced@example.com", by="amy")
    with pytest.raises(ValidationError, match="not a handle"):
        desk.customers.unlink("crm-7", "mary@example.com", by="amy")
    assert desk.customers.unlink("crm-7", "bob@example.com", by="amy").handles == frozenset()


def test_merge_and_unmerge_round_trip(desk: Desk) -> None:
    desk.customers.link("mary@example.com", "+44 1", customer="crm-42", by="amy")
    desk.customers.link("@mary_tweets", customer="tw-9", by="amy")
    merged = desk.customers.merge("crm-42", "tw-9", by="amy")
    assert merged.handles == {"mary@example.com", "+44 1", "@mary_tweets"}
    assert desk.customers.get("tw-9").merged_into == "crm-42"
    assert desk.customers.of_handle("@mary_tweets") == merged
    with pytest.raises(ValidationError, match="merged into"):
        desk.customers.link("@new", customer="tw-9", by="amy")
    kept, restored = desk.customers.unmerge("crm-42", "tw-9", by="amy")
    assert kept.handles == {"mary@example.com", "+44 1"}
    assert (restored.handles, restored.merged_into) == ({"@mary_tweets"}, None)
    assert [e.change for e in restored.events][-2:] == [
        IdentityChange.MERGED_INTO, IdentityChange.RESTORED,
    ]  # fmt: skip
    with pytest.raises(ValidationError, match="is not merged into"):
        desk.customers.unmerge("crm-42", "tw-9", by="amy")


def test_erasing_one_handle_erases_every_handle_of_the_customer(
    desk: Desk, clock: ManualClock
) -> None:
    desk.customers.link("mary@example.com", "@mary_tweets", customer="crm-42", by="amy")
    case = desk.listen(Feedback(customer="@mary_tweets", channel=Channel.SOCIAL_MEDIA,
                                received_at=clock.now(), text="Torn sofa"))  # fmt: skip
    erasure = desk.customers.erase("mary@example.com")
    assert erasure.handles == {"mary@example.com", "@mary_tweets"}
    assert desk.get(case.id).customer == erasure.pseudonym
    assert desk.customers.get("crm-42").handles == {erasure.pseudonym}
    assert desk.customers.of_handle("@mary_tweets") is None


handles = st.sets(st.from_regex(r"[a-z]{1,6}@x\.com", fullmatch=True), min_size=1, max_size=4)


@settings(max_examples=40, deadline=None)
@given(handles, handles)
def test_any_merge_then_unmerge_gives_both_customers_their_handles_back(
    mine: set[str], theirs: set[str]
) -> None:
    theirs -= mine
    assume(theirs)
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=ManualClock(START))
    desk.customers.link(*sorted(mine), customer="a", by="amy")
    desk.customers.link(*sorted(theirs), customer="b", by="amy")
    desk.customers.merge("a", "b", by="amy")
    kept, restored = desk.customers.unmerge("a", "b", by="amy")
    assert (kept.handles, restored.handles) == (mine, theirs)
    assert all(desk.customers.of_handle(h) == restored for h in theirs)
    assert all(desk.customers.of_handle(h) == kept for h in mine)


class LinkedMeanwhile(Burst, InMemoryStore):
    """Another writer right after each read of a customer record."""

    def customer(self, customer_id: str) -> Customer:
        found = super().customer(customer_id)
        self.after_read()
        return found


def test_a_link_racing_another_link_of_the_customer_is_retried() -> None:
    """Found by a newcomer's probe on PostgreSQL: 51 of 100 simultaneous links of new handles
    to one customer raised ConcurrencyError."""
    store = LinkedMeanwhile()
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    desk.customers.link("ann@example.com", customer="crm-1", by="crm")
    store.writers = [lambda: desk.customers.link("@ann", customer="crm-1", by="crm")]
    linked = desk.customers.link("+44 7700 900123", customer="crm-1", by="crm")
    assert store.writers == []
    assert linked.handles == {"ann@example.com", "@ann", "+44 7700 900123"}
    assert desk.customers.get("crm-1") == linked


@pytest.mark.parametrize("char", ["\x85", "\x9f", "\u2028", "\u2029"])
def test_a_new_handle_is_one_line_but_a_stored_one_stays_usable(
    desk: Desk, closedloop_store: InMemoryStore, char: str
) -> None:
    """Found by newcomers' probes: NEL and the other non-ASCII line breaks passed as "one
    line" in handles and keys. New ones are refused at intake and when linked; one an older
    release stored can still be looked up and erased."""
    odd = f"ann{char}@example.com"
    new = Feedback(customer=odd, channel=Channel.EMAIL, received_at=START, text="Hello")
    for call in (lambda: desk.listen(new), lambda: desk.listen_many([new])):
        with pytest.raises(ValidationError, match="line break") as caught:
            call()
        assert caught.value.field == "customer"
    with pytest.raises(ValidationError, match="line break"):
        desk.customers.link(odd, by="crm")
    assert desk.cases_of(odd) == []
    stored = open_case("old-1", new, at=START)  # as an older release stored it
    closedloop_store.commit(Change(stored, 0))
    assert [c.id for c in desk.cases_of(odd)] == ["old-1"]
    erasure = desk.customers.erase(odd)
    assert desk.get("old-1").customer == erasure.pseudonym
