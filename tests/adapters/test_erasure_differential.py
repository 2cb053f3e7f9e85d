"""One erasure scenario on every store closedloop ships, compared record by record.

Ann has three handles ("ann@example.com", the CRM id "11", "@ann_t"), an address she
unlinked, and her e-mail address as her customer id. Around her: Joann, whose handles hold
hers as substrings ("joann@example.com", "211"), John, whose complaint mentions Ann's
address, and Bob, into whose case Ann's duplicate was merged and a message of hers added.
Cases, pending and dead outbox messages, sent and pending survey invitations on each side.

Each store runs the scenario, erases Ann by her short CRM id, and must hold exactly what
the in-memory reference holds; on each, every record of the other customers must be byte
for byte what it was before the erasure, and no record may name Ann any more (except
John's own words, which mention her address: see docs/customers.md, "Erasure").
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from closedloop import (
    CaseStore,
    Channel,
    Desk,
    Feedback,
    Notification,
    Policy,
    SQLiteStore,
    Survey,
    SurveyKind,
    SurveyRules,
    UndeliverableError,
)
from closedloop.adapters.agent_rows import AGENT_TABLES
from closedloop.adapters.read_model import CHILD_TABLES
from closedloop.service import invitations
from closedloop.testing import InMemoryStore, ManualClock, SequentialIds
from tests.adapters.erasure_support import (
    World,
    changed,
    keys_of,
    named,
    records,
    stands_in,
    theirs,
)
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.adapters.search_support import undo_search_postgres, undo_search_sqlite
from tests.helpers import START

ANN = ("ann@example.com", "11", "@ann_t", "old-ann@example.com")
PSEUDONYM = "person-x"
AFTER_CASE = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
YEARLY = Survey("yearly", SurveyKind.CSAT, "How satisfied are you with us this year?")
CUSTOMERS = ("ann@example.com", PSEUDONYM, "crm-211", "crm-john")
Result = tuple[World, dict[str, str], dict[str, str]]


class Refusing:
    """Delivers to everyone except the recipients it refuses (their messages die at once)."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        if notification.to in self.refuse:
            raise UndeliverableError(notification.key, f"no route to {notification.to}")
        self.sent.append(notification)


def feedback(customer: str, text: str, channel: Channel = Channel.EMAIL, **more: Any) -> Feedback:
    return Feedback(customer=customer, channel=channel, received_at=START, text=text, **more)


def build(store: CaseStore) -> tuple[World, datetime]:
    """Build the world on ``store``, deterministically (ids, clock, survey secrets): the
    world, and the time to erase Ann at."""
    clock = ManualClock(START)
    notifier = Refusing({"@ann_t", "211"})
    desk = Desk(
        store, notifier, clock=clock, ids=SequentialIds(),
        policy=Policy(
            survey_url="https://example.com/s/{token}",
            surveys=SurveyRules(cooldown=timedelta(hours=1)),
        ),
    )  # fmt: skip
    customers = desk.customers
    customers.link("ann@example.com", "11", "@ann_t", customer="ann@example.com", by="crm")
    customers.link("old-ann@example.com", customer="ann@example.com", by="crm")
    customers.unlink("ann@example.com", "old-ann@example.com", by="crm")
    customers.link("joann@example.com", "211", customer="crm-211", by="crm")
    customers.link("john@example.com", customer="crm-john", by="crm")

    old = desk.listen(feedback("old-ann@example.com", "Wrong invoice address"))
    a1 = desk.listen(
        feedback("ann@example.com", "Parcel 4471 never came; call +44 7700 900123",
                 external_id="<a1@mail.example.com>")
    )  # fmt: skip
    desk.acknowledge(a1.id, by="amy")
    desk.outbox.dispatch()
    desk.take_action(a1.id, by="amy", summary="Re-sent parcel 4471 to ann@example.com")
    desk.thank(a1.id, by="amy")
    desk.explain(a1.id, by="amy", what_failed="Courier", what_changes="New courier")
    desk.surveys.invite(AFTER_CASE, case_id=a1.id)
    desk.outbox.dispatch()  # the invitation goes out: its token is in her inbox
    a2 = desk.listen(feedback("11", "Billing error on account 11", Channel.CRM))
    desk.acknowledge(a2.id, by="amy")
    a3 = desk.listen(feedback("@ann_t", "@shop still waiting", Channel.SOCIAL_MEDIA))
    desk.acknowledge(a3.id, by="amy")
    desk.outbox.dispatch()  # refused: a dead letter to @ann_t

    j1 = desk.listen(feedback("joann@example.com", "I ordered 11 lamps; joann@example.com"))
    desk.acknowledge(j1.id, by="amy")
    j2 = desk.listen(feedback("211", "Account 211 is locked", Channel.CRM))
    desk.acknowledge(j2.id, by="amy")
    john = desk.listen(feedback("john@example.com", "My neighbour ann@example.com had it too"))
    desk.acknowledge(john.id, by="amy")
    bob = desk.listen(feedback("bob@example.com", "The kettle leaks"))
    duplicate = desk.listen(feedback("ann@example.com", "My kettle leaks too, same batch"))
    desk.conversation.merge(bob.id, duplicate.id, by="amy", reason="same kettle batch")
    desk.conversation.add_message(bob.id, feedback("@ann_t", "Any news on the kettle?"))
    desk.acknowledge(bob.id, by="amy")
    clock.advance(days=1)
    desk.outbox.dispatch()  # j2's acknowledgement dies (to "211"), the rest go
    joann = desk.surveys.invite(YEARLY, customer="joann@example.com", channel=Channel.EMAIL)
    ann = desk.surveys.invite(YEARLY, customer="ann@example.com", channel=Channel.EMAIL)
    clock.advance(hours=1)
    desk.conversation.reply(j1.id, "We are on it, joann@example.com", by="amy")  # pending
    desk.conversation.reply(a2.id, "Account 11 is fixed", by="amy")  # pending, to "11"

    invited = [i.id for i in store.invitations_of("ann@example.com")]
    world = World(
        cases=(old.id, a1.id, a2.id, a3.id, j1.id, j2.id, john.id, bob.id, duplicate.id),
        invitations=tuple(dict.fromkeys([*invited, joann.invitation.id, ann.invitation.id])),
        customers=CUSTOMERS,
        keys=keys_of(store, (n.key for n in notifier.sent)),
    )
    return world, clock.now()


def erase(store: CaseStore, at: datetime) -> None:
    """Erase Ann by her short CRM id, at ``at``."""
    desk = Desk(store, Refusing(set()), clock=ManualClock(at))
    desk.customers.erase("11", pseudonym=PSEUDONYM)


def run(make: Callable[[], CaseStore]) -> Result:
    """The scenario on a new store (with survey secrets the same on every run): the world,
    and its records before the erasure and after it."""
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invitations, "_secret", lambda: f"secret{next(counter)}")
        store = make()
        world, at = build(store)
    before = records(store, world)
    erase(store, at)
    return world, before, records(store, world)


@pytest.fixture(scope="module")
def reference() -> Result:
    return run(InMemoryStore)


def mine(before: dict[str, str]) -> set[str]:
    """Ann's records (the pseudonym's customer record is new: hers too)."""
    return theirs(before, ANN) | {f"customer {PSEUDONYM}"}


def check(reference: Result, before: dict[str, str], after: dict[str, str]) -> None:
    assert changed(before, after, mine(before)) == []
    assert before == reference[1]
    assert after == reference[2]


def test_memory_erases_ann_and_nobody_else(reference: Result) -> None:
    world, before, after = reference
    assert len(before) == len(after) >= 30
    hers = mine(before)
    assert len(hers) >= 15
    assert changed(before, after, hers) == []  # John's mention of her is his own words
    assert {(h, n) for n in hers for h in ANN if stands_in(h, after[n])} == set()
    bob = f"case {world.cases[7]}"
    old_events = json.loads(before[bob])["events"]
    new_events = json.loads(after[bob])["events"]
    assert len(new_events) == len(old_events) + 1  # and an Erased event on top
    for old, new in zip(old_events, new_events, strict=False):
        if not named(old) & set(ANN):
            assert old == new  # Bob's own messages and the steps on his case, unchanged


def test_sqlite_holds_what_memory_holds(reference: Result, tmp_path: Path) -> None:
    _, before, after = run(lambda: SQLiteStore(tmp_path / "loop.db"))
    check(reference, before, after)


def test_a_sqlite_file_from_before_the_erasure_indexes_erases_the_same(
    reference: Result, tmp_path: Path
) -> None:
    path = tmp_path / "loop.db"
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch, SQLiteStore(path) as store:
        patch.setattr(invitations, "_secret", lambda: f"secret{next(counter)}")
        world, at = build(store)
    db = sqlite3.connect(path)  # the file as closedloop wrote it before (schema 6)
    undo_search_sqlite(db)
    for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):
        db.execute(f"DROP TABLE {table}")
    db.execute("ALTER TABLE cases DROP COLUMN snapshot")  # before snapshots (schema 8)
    db.execute("DROP TABLE case_authors")
    db.execute("DROP INDEX outbox_recipient")
    db.execute("ALTER TABLE outbox DROP COLUMN recipient")
    db.execute("PRAGMA user_version = 6")
    db.commit()
    db.close()
    with SQLiteStore(path) as store:
        before = records(store, world)
        erase(store, at)
        check(reference, before, records(store, world))


@pytest.fixture
def postgres() -> Iterator[tuple[str, str]]:
    dsn = dsn_or_skip()
    schema = new_schema()
    yield dsn, schema
    drop_schema(dsn, schema)


@pytest.mark.postgres
def test_postgres_holds_what_memory_holds(reference: Result, postgres: tuple[str, str]) -> None:
    from closedloop import PostgresStore

    dsn, schema = postgres
    with PostgresStore(dsn, schema=schema) as store:
        _, before, after = run(lambda: store)
    check(reference, before, after)


@pytest.mark.postgres
def test_a_postgres_schema_from_before_the_erasure_indexes_erases_the_same(
    reference: Result, postgres: tuple[str, str]
) -> None:
    import psycopg

    from closedloop import PostgresStore

    dsn, schema = postgres
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch, PostgresStore(dsn, schema=schema) as store:
        patch.setattr(invitations, "_secret", lambda: f"secret{next(counter)}")
        world, at = build(store)
    with psycopg.connect(dsn, autocommit=True) as conn:  # the schema before (version 3)
        undo_search_postgres(conn, schema)
        for table in ("case_facts", *CHILD_TABLES, *AGENT_TABLES):
            conn.execute(f'DROP TABLE "{schema}".{table}')
        conn.execute(f'ALTER TABLE "{schema}".cases DROP COLUMN snapshot')  # snapshots (5)
        conn.execute(f'DROP TABLE "{schema}".case_authors')
        conn.execute(f'ALTER TABLE "{schema}".outbox DROP COLUMN recipient')
        conn.execute(f'ALTER TABLE "{schema}".outbox DROP COLUMN seq')  # commit order (8)
        conn.execute(f'UPDATE "{schema}".schema_version SET version = 3')
    with PostgresStore(dsn, schema=schema) as store:
        before = records(store, world)
        erase(store, at)
        check(reference, before, records(store, world))
