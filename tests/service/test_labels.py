"""Tags and custom fields: set at intake, by staff, by a message joining the case; kept by
every store; refused clearly when malformed, leaving the case as it was."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop import (
    CaseStore,
    Channel,
    Desk,
    Feedback,
    FieldValue,
    Policy,
    ValidationError,
)
from closedloop.domain.cases.case import replay
from closedloop.events import FieldsSet, Tagged
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.helpers import START


def _feedback(**more: object) -> Feedback:
    return Feedback(
        customer="mary@example.com",
        channel=Channel.EMAIL,
        received_at=START,
        text="My refund has not arrived",
        **more,  # type: ignore[arg-type]
    )


def _desk(store: CaseStore) -> Desk:
    return Desk(store, RecordingNotifier(), clock=ManualClock(START), policy=Policy())


def test_tags_and_fields_given_at_intake_label_the_case(every_store: CaseStore) -> None:
    desk = _desk(every_store)
    case = desk.listen(_feedback(tags=[" Billing", "vip", "billing"], fields={"plan": "pro"}))
    assert case.tags == ("billing", "vip")
    assert case.fields == (FieldValue("plan", "pro"),)
    assert case.field("plan") == "pro"
    assert case.field("order") is None
    stored = desk.get(case.id)
    assert (stored.tags, stored.fields) == (case.tags, case.fields)


def test_staff_tag_and_set_fields_as_events_that_every_store_keeps(
    every_store: CaseStore,
) -> None:
    desk = _desk(every_store)
    case = desk.listen(_feedback(tags=["billing"]))
    case = desk.queues.tag(case.id, by="amy", add=["Refund"], remove=["billing"])
    case = desk.queues.set_fields(case.id, {"order_number": "A-17", "plan": "pro"}, by="amy")
    case = desk.queues.set_fields(case.id, {"plan": "basic"}, by="amy", clear=["order_number"])
    assert case.tags == ("refund",)
    assert case.fields == (FieldValue("plan", "basic"),)
    assert [type(e) for e in case.events[1:]] == [Tagged, FieldsSet, FieldsSet]
    tagged = case.events[1]
    assert isinstance(tagged, Tagged)
    assert (tagged.added, tagged.removed) == (("refund",), ("billing",))
    stored = desk.get(case.id)
    assert stored == case
    assert replay(stored.events) == case


def test_a_change_that_changes_nothing_records_nothing() -> None:
    desk = _desk(InMemoryStore())
    case = desk.listen(_feedback(tags=["billing"], fields={"plan": "pro"}))
    again = desk.queues.tag(case.id, by="amy", add=["BILLING"], remove=["unknown"])
    again = desk.queues.set_fields(case.id, {"plan": "pro"}, by="amy", clear=["order"])
    assert again.version == case.version


def test_a_message_joining_the_case_brings_its_labels() -> None:
    desk = _desk(InMemoryStore())
    case = desk.listen(_feedback(tags=["billing"], fields={"plan": "pro"}))
    joined = desk.conversation.add_message(
        case.id, _feedback(tags=["urgent"], fields={"plan": "team", "seats": "40"})
    )
    assert joined.tags == ("billing", "urgent")
    assert joined.fields == (FieldValue("plan", "team"), FieldValue("seats", "40"))
    assert replay(joined.events) == joined


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda d, c: d.queues.tag(c, by="amy", add="billing"), "add"),
        (lambda d, c: d.queues.tag(c, by="amy", add=["a,b"]), "add"),
        (lambda d, c: d.queues.tag(c, by="amy", add=["x" * 65]), "add"),
        (lambda d, c: d.queues.tag(c, by="amy", add=["x"], remove=["X"]), "remove"),
        (lambda d, c: d.queues.set_fields(c, {"Plan": "pro"}, by="amy"), "values"),
        (lambda d, c: d.queues.set_fields(c, {"plan": 3}, by="amy"), "values"),
        (lambda d, c: d.queues.set_fields(c, {"plan": "x" * 501}, by="amy"), "values"),
        (lambda d, c: d.queues.set_fields(c, {"plan": "a\x00b"}, by="amy"), "values"),
        (lambda d, c: d.queues.set_fields(c, {}, by="amy", clear="plan"), "clear"),
        (lambda d, c: d.queues.tag(c, by="amy", add=["a\x00b"]), "add"),
        (lambda d, c: d.queues.tag(c, by="amy", add=[f"t{n}" for n in range(50)]), "add"),
        (lambda d, c: d.queues.set_fields(c, {"plan": "p"}, by="amy", clear=["plan"]), "clear"),
        (lambda d, c: d.queues.set_fields(c, "plan", by="amy"), "values"),
    ],
)
def test_malformed_labels_are_refused_naming_the_field_and_change_nothing(
    call: object, field: str
) -> None:
    desk = _desk(InMemoryStore())
    case = desk.listen(_feedback(tags=["billing"]))
    with pytest.raises(ValidationError) as caught:
        call(desk, case.id)  # type: ignore[operator]
    assert caught.value.field == field
    assert desk.get(case.id) == case


def test_feedback_refuses_malformed_labels_at_intake() -> None:
    with pytest.raises(ValidationError, match="a tag must be"):
        _feedback(tags=[""])
    with pytest.raises(ValidationError, match="custom field name"):
        _feedback(fields={"2fast": "x"})


def test_a_hand_off_keeps_its_summary_and_counts_once() -> None:
    desk = _desk(InMemoryStore())
    case = desk.listen(_feedback())
    desk.acknowledge(case.id, by="amy")
    case = desk.assign(case.id, owner="bob", by="amy", summary="Refund approved; card ends 42")
    handed = case.events[-1]
    assert case.owner == "bob"
    assert getattr(handed, "summary", None) == "Refund approved; card ends 42"
    assert case.effort.hand_offs == 1


_TAGS = st.sampled_from(["billing", "vip", "refund", "urgent"])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sets(_TAGS), st.sets(_TAGS)), max_size=8))
def test_tags_are_the_set_the_changes_leave(changes: list[tuple[set[str], set[str]]]) -> None:
    desk = _desk(InMemoryStore())
    case = desk.listen(_feedback())
    expected: set[str] = set()
    for add, remove in changes:
        add -= remove
        case = desk.queues.tag(case.id, by="amy", add=add, remove=remove)
        expected = (expected | add) - remove
    assert case.tags == tuple(sorted(expected))
    assert replay(case.events) == case
    assert case.version == 1 + sum(1 for e in case.events if isinstance(e, Tagged))
    assert all(e.at >= START and e.at - START < timedelta(seconds=1) for e in case.events)


def test_erasure_blanks_the_customers_field_values_and_keeps_tags(every_store: CaseStore) -> None:
    desk = _desk(every_store)
    case = desk.listen(_feedback(tags=["billing"], fields={"phone_note": "call 07700 900123"}))
    case = desk.queues.set_fields(case.id, {"address": "1 Zebra Lane"}, by="amy")
    other = desk.listen(
        Feedback(
            customer="olga@example.com",
            channel=Channel.EMAIL,
            received_at=START,
            text="Mine too",
            fields={"plan": "pro"},
        )
    )
    desk.customers.erase("mary@example.com")
    erased = desk.get(case.id)
    assert erased.tags == ("billing",)
    assert {f.name: f.value for f in erased.fields} == {
        "address": "[erased]",
        "phone_note": "[erased]",
    }
    assert "Zebra" not in repr(erased.events)
    assert desk.get(other.id).fields == (FieldValue("plan", "pro"),)


def test_a_merge_brings_the_duplicates_labels_and_a_split_keeps_the_team() -> None:
    desk = _desk(InMemoryStore())
    main = desk.listen(_feedback(tags=["billing"], fields={"plan": "pro"}))
    duplicate = desk.listen(
        Feedback(
            customer="mary@example.com",
            channel=Channel.PHONE,
            received_at=START,
            text="Same refund, by phone",
            fields={"plan": "basic", "order_number": "A-17"},
        )
    )
    desk.queues.tag(duplicate.id, by="amy", add=["vip"])
    merged = desk.conversation.merge(main.id, duplicate.id, by="amy", reason="same refund")
    assert merged.tags == ("billing", "vip")
    assert merged.fields == (FieldValue("order_number", "A-17"), FieldValue("plan", "pro"))
    assert replay(merged.events) == merged
    routed = desk.assign(merged.id, owner="bob", by="amy")
    assert routed.team is None
    _, new = desk.conversation.split(merged.id, [1], by="amy", reason="another matter")
    assert new.owner == "bob"
    assert new.team == routed.team


def test_erasing_a_merged_duplicates_customer_blanks_the_fields_it_brought(
    every_store: CaseStore,
) -> None:
    desk = _desk(every_store)
    johns = desk.listen(
        Feedback(customer="john@example.com", channel=Channel.EMAIL, received_at=START, text="Late")
    )
    marys = desk.listen(_feedback(fields={"phone_note": "call 07700 900456 after six"}))
    merged = desk.conversation.merge(johns.id, marys.id, by="amy", reason="same parcel")
    assert merged.field("phone_note") == "call 07700 900456 after six"
    desk.customers.erase("mary@example.com")
    erased = desk.get(johns.id)
    assert erased.field("phone_note") == "[erased]"
    assert "07700" not in repr(erased.events)
    assert erased.customer == "john@example.com"
