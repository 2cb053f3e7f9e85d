"""Findings 6, 7 and 8: every store answers bad text alike, text has limits, and wrong
arguments get a closedloop error naming them, with nothing stored."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from closedloop import (
    BusinessCalendar,
    CaseStore,
    Channel,
    Desk,
    Feedback,
    Ladder,
    Limits,
    Policy,
    SQLiteStore,
    Standard,
    Standards,
    Target,
    ValidationError,
)
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.badinput.world import records

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def feedback(**more: Any) -> Feedback:
    return Feedback(
        **{"customer": "ann@example.com", "channel": Channel.EMAIL, "received_at": START,
           "text": "Broken"} | more
    )  # fmt: skip


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest) -> Iterator[CaseStore]:
    if request.param == "memory":
        yield InMemoryStore()
    elif request.param == "sqlite":
        with SQLiteStore(":memory:") as store:
            yield store
    else:
        from closedloop import PostgresStore

        dsn = dsn_or_skip()
        schema = new_schema()
        made = PostgresStore(dsn, schema=schema)
        try:
            yield made
        finally:
            made.close()
            drop_schema(dsn, schema)


def desk_on(store: CaseStore, policy: Policy | None = None) -> Desk:
    return Desk(store, RecordingNotifier(), clock=ManualClock(START), policy=policy)


def refused(field: str, call: Callable[[], object]) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        call()
    assert caught.value.field == field, str(caught.value)
    assert field in str(caught.value)
    return caught.value


# -- finding 6: every store answers alike ---------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("text", lambda desk, case: desk.conversation.reply(case, "\ud800", by="Sam")),
        ("by", lambda desk, case: desk.acknowledge(case, by="Sam\udcff")),
        ("case_id", lambda desk, case: desk.get(["not", "an", "id"])),
        ("case_id", lambda desk, case: desk.acknowledge(42, by="Sam")),
        ("customer", lambda desk, case: desk.cases_of("x" * 3000)),
        ("handle", lambda desk, case: desk.customers.of_handle("\ud800")),
        ("customer", lambda desk, case: desk.listen(feedback(customer="é" * 2800))),
        ("external_id", lambda desk, case: desk.listen(feedback(external_id="é" * 2800))),
        ("by", lambda desk, case: desk.acknowledge(case, by="é" * 2800)),
        ("key", lambda desk, case: desk._ctx.store.outbox_message(b"key")),
        ("limit", lambda desk, case: desk.unanswered(limit=10**20)),
        ("before", lambda desk, case: desk._ctx.store.due(datetime(1, 1, 1, tzinfo=UTC))),
    ],
)
def test_every_store_refuses_what_no_store_can_keep_alike(
    store: CaseStore, field: str, call: Callable[[Desk, str], object]
) -> None:
    desk = desk_on(store)
    case = desk.listen(feedback()).id
    before = records(store)
    refused(field, lambda: call(desk, case))
    assert records(store) == before


# -- finding 7: limits ----------------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("field", "item"),
    [
        ("text", lambda: feedback(text="x" * 10_000_000)),
        ("subject", lambda: feedback(subject="a subject " * 40)),
        ("matter_key", lambda: feedback(matter_key="k" * 300)),
    ],
)
def test_text_over_the_default_limits_is_refused(
    store: CaseStore, field: str, item: Callable[[], Feedback]
) -> None:
    desk = desk_on(store)
    error = refused(field, lambda: desk.listen(item()))
    assert "limit" in str(error) or "at most" in str(error)
    assert desk.unanswered() == []


@pytest.mark.postgres
def test_the_limits_are_the_policys(store: CaseStore) -> None:
    desk = desk_on(store, Policy(limits=Limits(key=20, subject=10, text=100)))
    case = desk.listen(feedback(text="y" * 100, subject="s" * 10, customer="c" * 20)).id
    before = records(store)
    refused("text", lambda: desk.conversation.reply(case, "z" * 101, by="Sam"))
    refused("by", lambda: desk.acknowledge(case, by="a very long name indeed"))
    refused("subject", lambda: desk.listen(feedback(subject="s" * 11)))
    refused("customer", lambda: desk.listen(feedback(customer="c" * 21)))
    assert records(store) == before
    desk.conversation.reply(case, "z" * 100, by="Sam")


@pytest.mark.postgres
def test_a_batch_with_an_item_over_the_limits_stores_nothing(store: CaseStore) -> None:
    """Found by a newcomer's probe: an item joining an open case (taken one at a time) was
    committed before a later item was refused for its length."""
    desk = desk_on(store, Policy(limits=Limits(text=50)))
    open_case = desk.listen(feedback(matter_key="order-1"))
    before = records(store)

    refused(
        "text", lambda: desk.listen_many([feedback(matter_key="order-1"), feedback(text="y" * 51)])
    )

    assert records(store) == before
    assert desk.get(open_case.id).version == open_case.version


def test_a_policy_refuses_a_channel_it_does_not_know_in_its_standards_and_ladder() -> None:
    """Found by a newcomer's probe: a misspelt channel in a standard never matched (its
    cases took the default), and escalations went out on an unregistered channel."""
    always = BusinessCalendar.always_open()
    misspelt = Standard(Target.ACKNOWLEDGE, timedelta(hours=1), always, channels={"emial"})
    error = refused("standards", lambda: Policy(standards=Standards(rules=[misspelt])))
    assert "'emial'" in str(error)
    slack = Channel.custom("slack", public=False, written=True)
    refused("ladder", lambda: Policy(ladder=Ladder(channel=slack)))
    known = Standard(Target.ACKNOWLEDGE, timedelta(hours=1), always, channels={"slack"})
    Policy(channels=[slack], standards=Standards(rules=[known]), ladder=Ladder(channel=slack))


def test_the_key_limit_stays_under_what_every_store_can_index() -> None:
    refused("key", lambda: Limits(key=1000))
    refused("text", lambda: Limits(text=0))
    refused("limits", lambda: Policy(limits=100))  # type: ignore[arg-type]


# -- finding 8: wrong arguments -------------------------------------------------------------

PLUS_5 = timezone(timedelta(hours=5))


@pytest.mark.parametrize(
    ("field", "call"),
    [
        ("customer", lambda d, c: d.customers.link("a", customer=123, by="x")),
        ("channel", lambda d, c: d.conversation.move_channel(c, "email", by="Sam")),
        ("channel", lambda d, c: d.conversation.log_contact(c, "phone", "called", by="Sam")),
        ("feedback", lambda d, c: d.listen_many([feedback(customer="new"), None])),
        ("messages", lambda d, c: d.conversation.split(c, None, by="Sam", reason="two")),
        ("handles", lambda d, c: d.customers.erase(["a"])),
        ("handles", lambda d, c: d.customers.link(["a"], by="x")),
        ("handle", lambda d, c: d.customers.unlink("cust", ["a"], by="x")),
        ("limit", lambda d, c: d.unanswered(limit=10**20)),
        ("limit", lambda d, c: d.outbox.dispatch(limit=10**20)),
        ("lease", lambda d, c: d.outbox.dispatch(lease=timedelta.max)),
        ("batch", lambda d, c: d.sweep(batch=10**20)),
        ("keys", lambda d, c: d.outbox.requeue(["x"])),
        ("into", lambda d, c: d.conversation.merge(None, c, by="Sam", reason="same")),
        ("since", lambda d, c: d.reports.insights(datetime(1, 1, 1, 1, tzinfo=PLUS_5), START)),
        ("until", lambda d, c: d.reports.no_log(START, datetime(9999, 12, 31, tzinfo=PLUS_5))),
        ("due_by", lambda d, c: d.promises.make(
            c, what="a call", due_by=datetime.max.replace(tzinfo=UTC), owner="S", by="S")),
        ("resume_by", lambda d, c: d.conversation.await_customer(
            c, by="Sam", question="size?", resume_by=datetime(9999, 12, 31, 23, tzinfo=PLUS_5))),
        ("case_status", lambda d, c: d.surveys.invite(
            _survey(), customer="ann@example.com", channel=Channel.EMAIL, case_status=7)),
        ("external_id", lambda d, c: d.surveys.record_answer(
            _survey(), customer="ann", channel=Channel.EMAIL, answer=3, external_id=7)),
        ("clock", lambda d, c: Desk(InMemoryStore(), RecordingNotifier(), clock=object())),
        ("ids", lambda d, c: Desk(InMemoryStore(), RecordingNotifier(), ids="uuid4")),
    ],
)  # fmt: skip
def test_a_wrong_argument_gets_an_error_naming_it(
    field: str, call: Callable[[Desk, str], object]
) -> None:
    store = InMemoryStore()
    desk = desk_on(store)
    case = desk.listen(feedback()).id
    desk.customers.link("cust-handle", customer="cust", by="x")
    before = records(store)
    refused(field, lambda: call(desk, case))
    assert records(store) == before


@pytest.mark.parametrize(
    ("field", "build"),
    [
        ("repeated", lambda: feedback(repeated="yes")),
        ("received_at", lambda: feedback(received_at=datetime(1, 1, 1, tzinfo=PLUS_5))),
        ("received_at", lambda: feedback(received_at=datetime(9999, 12, 31, 22, tzinfo=PLUS_5))),
        ("public", lambda: Channel.custom("whatsapp", public="no")),
        ("reopen_within", lambda: Policy(reopen_within=timedelta.max)),
        ("cooldown", lambda: _rules(cooldown=timedelta.max)),
        ("factor", lambda: _retry(factor=1e300)),
        ("calendar", lambda: _ladder(calendar="UTC")),
        ("rules", lambda: _standards(rules=5)),
        ("channels", lambda: Policy(channels=5)),
    ],
)
def test_a_wrong_part_gets_an_error_naming_it(field: str, build: Callable[[], object]) -> None:
    refused(field, build)


def _survey() -> Any:
    from closedloop import Survey, SurveyKind

    return Survey("csat", SurveyKind.CSAT, "How did we do?")


def _rules(**kw: Any) -> Any:
    from closedloop import SurveyRules

    return SurveyRules(**kw)


def _retry(**kw: Any) -> Any:
    from closedloop import RetryPolicy

    return RetryPolicy(**kw)


def _ladder(**kw: Any) -> Any:
    from closedloop import Ladder

    return Ladder(**kw)


def _standards(**kw: Any) -> Any:
    from closedloop import Standards

    return Standards(**kw)
