"""A small tenant with a case at every stage, a customer, an invitation and a dead letter,
and a snapshot of every record it holds, on any of the three stores."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs

from closedloop import (
    CaseStore,
    Channel,
    Desk,
    Feedback,
    Survey,
    SurveyKind,
    UndeliverableError,
)
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
SURVEY = Survey("after-case", SurveyKind.CSAT, "How did we do?")


def _undeliverable(notification: Any) -> bool:
    if notification.to == "bounce@example.com":
        raise UndeliverableError(notification.key, "no such mailbox")
    return False


@attrs.define
class World:
    """One tenant's desk and the ids of what is in it."""

    store: CaseStore
    clock: ManualClock
    desk: Desk
    open: str = ""
    acked: str = ""
    acted: str = ""
    thanked: str = ""
    closed: str = ""
    paused: str = ""
    spare: str = ""  # an unanswered duplicate, to merge
    promise: str = ""
    customer: str = ""
    merged_into: str = ""
    merged_other: str = ""
    handle: str = "ann@example.com"
    token: str = ""
    invitation: str = ""
    dead: str = ""
    external_id: str = "<m-1@mail.example>"


def feedback(customer: str = "ann@example.com", **more: Any) -> Feedback:
    return Feedback(
        **{"customer": customer, "channel": Channel.EMAIL, "received_at": START, "text": "hi"}
        | more
    )


def build(store: CaseStore) -> World:
    """A fresh tenant of ``store`` with one record of every kind."""
    tenant = store.for_tenant(f"t-{uuid.uuid4().hex[:10]}")
    clock = ManualClock(START)
    notifier = RecordingNotifier(fail=_undeliverable)
    world = World(tenant, clock, Desk(tenant, notifier, clock=clock))
    desk = world.desk
    world.open = desk.listen(feedback(external_id=world.external_id)).id
    acked = desk.listen(feedback("bob@example.com", text="late parcel", matter_key="order-1"))
    world.acked = acked.id
    desk.acknowledge(acked.id, by="Sam")
    made = desk.promises.make(
        acked.id, what="call back", due_by=START + timedelta(days=3), owner="Sam", by="Sam"
    )
    world.promise = made.promises[-1].id
    desk.conversation.add_message(acked.id, feedback("bob@example.com", text="and a refund"))
    acted = desk.listen(feedback("ed@example.com", text="rude driver"))
    world.acted = acted.id
    desk.acknowledge(acted.id, by="Sam")
    desk.take_action(acted.id, by="Sam", summary="spoke to the driver")
    world.thanked = desk.listen(feedback("flo@example.com", text="wet box")).id
    desk.acknowledge(world.thanked, by="Sam")
    desk.take_action(world.thanked, by="Sam", summary="dried it")
    desk.thank(world.thanked, by="Sam")
    closed = desk.listen(feedback("carol@example.com", text="broken"))
    world.closed = closed.id
    desk.acknowledge(closed.id, by="Sam")
    desk.take_action(closed.id, by="Sam", summary="replaced")
    desk.thank(closed.id, by="Sam")
    desk.explain(closed.id, by="Sam", what_failed="packing", what_changes="better boxes")
    world.spare = desk.listen(feedback("bob@example.com", text="late parcel again")).id
    paused = desk.listen(feedback("dan@example.com", text="which colour?"))
    world.paused = paused.id
    desk.acknowledge(paused.id, by="Sam")
    desk.conversation.await_customer(paused.id, by="Sam", question="Blue or green?")
    world.customer = desk.customers.link("ann@example.com", "+441234", by="Sam").id
    world.merged_into = desk.customers.link("hal@example.com", by="Sam").id
    world.merged_other = desk.customers.link("ida@example.com", by="Sam").id
    desk.customers.merge(world.merged_into, world.merged_other, by="Sam")
    invited = desk.surveys.invite(SURVEY, case_id=closed.id)
    assert invited.token is not None
    world.token, world.invitation = invited.token, invited.invitation.id
    bounced = desk.listen(feedback("bounce@example.com", text="hello?"))
    desk.acknowledge(bounced.id, by="Sam")
    desk.outbox.dispatch()
    world.dead = desk.outbox.dead_letters()[0].key
    return world


_MEMORY = ("cases", "customers", "handles", "external", "outbox", "invitations")
_TABLES = ("cases", "events", "external_ids", "outbox", "invitations", "customers")
_TABLES += ("customer_handles",)


def _sql(store: CaseStore) -> tuple[str, str, tuple[str, ...]]:
    """The table prefix, the parameter mark and the tables of a SQL store."""
    if type(store).__name__ == "PostgresStore":
        return f"{store._s}.", "%s", (*_TABLES, "escalations")  # type: ignore[attr-defined]
    return "", "?", _TABLES


def clone(world: World) -> World:
    """A copy of ``world`` in a new tenant of the same store, made row by row: much faster
    than building it again."""
    source = world.store
    tenant = f"t-{uuid.uuid4().hex[:10]}"
    old, new = source.tenant, tenant
    if isinstance(source, InMemoryStore):
        store: CaseStore = InMemoryStore(new)  # a store of its own, so scans stay short
        data = source._data
        for name in _MEMORY:
            table = getattr(store._data, name)
            table.update({(new, *k[1:]): v for k, v in getattr(data, name).items()})
        return _world(world, store)
    store = source.for_tenant(new)
    if type(source).__name__ == "PostgresStore":
        prefix, _, tables = _sql(source)
        with source._tx() as cur:  # type: ignore[attr-defined]
            for table in tables:
                names = [
                    r[0]
                    for r in cur.execute(
                        "SELECT column_name FROM information_schema.columns WHERE "
                        "table_schema = %s AND table_name = %s AND column_name <> 'tenant' "
                        "ORDER BY ordinal_position",
                        (source.schema, table),  # type: ignore[attr-defined]
                    ).fetchall()
                ]
                columns = ", ".join(f'"{n}"' for n in names)
                cur.execute(
                    f"INSERT INTO {prefix}{table} (tenant, {columns}) "
                    f"SELECT %s, {columns} FROM {prefix}{table} WHERE tenant = %s",
                    (new, old),
                )
    else:
        shared = source._shared  # type: ignore[attr-defined]
        with shared.lock:
            db = shared.connection
            for table in _TABLES:
                names = [
                    r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "tenant"
                ]
                columns = ", ".join(names)
                db.execute(
                    f"INSERT INTO {table} (tenant, {columns}) "
                    f"SELECT ?, {columns} FROM {table} WHERE tenant = ?",
                    (new, old),
                )
            db.commit()
    return _world(world, store)


def _world(world: World, store: CaseStore) -> World:
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(fail=_undeliverable), clock=clock)
    return attrs.evolve(world, store=store, clock=clock, desk=desk)


def records(store: CaseStore) -> dict[str, Any]:
    """Every record of the store's tenant, comparable with ``==``."""
    tenant = store.tenant
    if isinstance(store, InMemoryStore):
        data = store._data
        return {
            name: {k: v for k, v in getattr(data, name).items() if k[0] == tenant}
            for name in _MEMORY
        }
    prefix, mark, tables = _sql(store)
    return {
        table: sorted(
            map(
                tuple, store._read(f"SELECT * FROM {prefix}{table} WHERE tenant = {mark}", [tenant])
            )  # type: ignore[attr-defined]
        )
        for table in tables
    }


@contextmanager
def unchanged(store: CaseStore) -> Iterator[None]:
    """Fail unless the block leaves every record of the tenant as it was."""
    before = records(store)
    yield
    assert records(store) == before, "a refused call changed what is stored"
