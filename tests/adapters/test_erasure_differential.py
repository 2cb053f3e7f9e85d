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
import re
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from closedloop import (
    CaseStore,
    Channel,
    CustomerNotFoundError,
    Desk,
    Feedback,
    Notification,
    Policy,
    SQLiteStore,
    Survey,
    SurveyKind,
    SurveyRules,
    UndeliverableError,
    codec,
)
from closedloop.service import invitations
from closedloop.testing import InMemoryStore, ManualClock, SequentialIds
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema
from tests.helpers import START

ANN = ("ann@example.com", "11", "@ann_t", "old-ann@example.com")
PSEUDONYM = "person-x"
AFTER_CASE = Survey("after-case", SurveyKind.NPS, "How likely are you to recommend us?")
YEARLY = Survey("yearly", SurveyKind.CSAT, "How satisfied are you with us this year?")
FAR = START + timedelta(days=3650)


class Refusing:
    """Delivers to everyone except the recipients it refuses (their messages die at once)."""

    def __init__(self, refuse: set[str]) -> None:
        self.refuse = refuse
        self.sent: list[Notification] = []

    def send(self, notification: Notification) -> None:
        if notification.to in self.refuse:
            raise UndeliverableError(notification.key, f"no route to {notification.to}")
        self.sent.append(notification)


@attrs.frozen
class World:
    """What the scenario made: the ids to read every record back by."""

    cases: tuple[str, ...]
    invitations: tuple[str, ...]
    customers: tuple[str, ...]
    keys: tuple[str, ...]


def feedback(customer: str, text: str, channel: Channel = Channel.EMAIL, **more: Any) -> Feedback:
    return Feedback(customer=customer, channel=channel, received_at=START, text=text, **more)


def scenario(store: CaseStore) -> tuple[World, dict[str, str], dict[str, str]]:
    """Build the world on ``store``, deterministically (ids, clock, survey secrets), and
    erase Ann: the world, its records before the erasure and after it."""
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
    desk.acknowledge(a2.id, by="amy")  # pending, to "11"
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
    keys = {m.key for m in store.outbox_ready(FAR, 1000)}
    keys |= {m.key for m in store.dead_letters(1000)} | {n.key for n in notifier.sent}
    world = World(
        cases=(old.id, a1.id, a2.id, a3.id, j1.id, j2.id, john.id, bob.id, duplicate.id),
        invitations=tuple(dict.fromkeys([*invited, joann.invitation.id, ann.invitation.id])),
        customers=("ann@example.com", PSEUDONYM, "crm-211", "crm-john"),
        keys=tuple(sorted(keys)),
    )
    before = records(store, world)
    desk.customers.erase("11", pseudonym=PSEUDONYM)
    return world, before, records(store, world)


def records(store: CaseStore, world: World) -> dict[str, str]:
    """Every record of the world, as canonical JSON text, by a name saying what it is."""
    found: dict[str, Any] = {}
    for case_id in world.cases:
        found[f"case {case_id}"] = codec.dump_case(store.get(case_id))
    for invitation_id in world.invitations:
        found[f"invitation {invitation_id}"] = codec.dump_invitation(
            store.invitation(invitation_id)
        )
    for customer_id in world.customers:
        try:
            customer = codec.dump_customer(store.customer(customer_id))
            customer["handles"].sort()  # a set: its order is not part of the record
            found[f"customer {customer_id}"] = customer
        except CustomerNotFoundError:
            found[f"customer {customer_id}"] = None
    for key in world.keys:
        m = store.outbox_message(key)
        found[f"message {key}"] = {
            "notification": codec.dump_notification(m.notification),
            "status": m.status.value,
            "attempts": m.attempts,
            "last_error": m.last_error,
            "sent_at": None if m.sent_at is None else codec.dump_datetime(m.sent_at),
        }
    return {n: json.dumps(v, sort_keys=True, ensure_ascii=False) for n, v in found.items()}


def run(make: Callable[[], CaseStore]) -> tuple[World, dict[str, str], dict[str, str]]:
    """The scenario on a new store, with survey secrets that are the same on every run."""
    counter = itertools.count()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(invitations, "_secret", lambda: f"secret{next(counter)}")
        return scenario(make())


def authors(value: Any) -> set[str]:
    """Every handle a dumped record names as the customer, an author or a recipient."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k in ("customer", "to") and isinstance(v, str)}
        found |= set(value.get("handles", ()))
        return found.union(*(authors(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(authors(v) for v in value))
    return set()


def hers(before: dict[str, str]) -> set[str]:
    """The records that name Ann as someone (customer, author, recipient, handle holder),
    and the messages about her cases: erasure may change these, and only these."""
    named = {n for n, text in before.items() if authors(json.loads(text)) & set(ANN)}
    named |= {"customer ann@example.com", f"customer {PSEUDONYM}"}
    her_cases = {
        n.removeprefix("case ")
        for n in named
        if n.startswith("case ")
        and json.loads(before[n])["events"][0]["feedback"]["customer"] in ANN
    }
    for name, text in before.items():
        if name.startswith("message ") and json.loads(text)["notification"]["case_id"] in her_cases:
            named.add(name)
    return named


def whole(handle: str, text: str) -> bool:
    """Whether ``handle`` stands in ``text`` as a handle of its own (not inside another)."""
    pattern = rf"(?<![\w.+\-@%]){re.escape(handle)}(?![\w+\-@%]|\.\w)"
    return re.search(pattern, text) is not None


def damaged(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """The other customers' records the erasure changed."""
    mine = hers(before)
    return sorted(n for n in before if n not in mine and before[n] != after.get(n))


@pytest.fixture(scope="module")
def reference() -> tuple[World, dict[str, str], dict[str, str]]:
    return run(InMemoryStore)


def check(
    reference: tuple[World, dict[str, str], dict[str, str]], make: Callable[[], CaseStore]
) -> None:
    _, before, after = run(make)
    assert damaged(before, after) == []
    assert before == reference[1]
    assert after == reference[2]


def test_memory_erases_ann_and_nobody_else(
    reference: tuple[World, dict[str, str], dict[str, str]],
) -> None:
    world, before, after = reference
    assert len(before) == len(after) >= 30
    assert damaged(before, after) == []  # John's mention of her address is his own words
    mine = hers(before)
    assert len(mine) >= 15
    left = {(h, n) for n in mine for h in ANN if whole(h, after[n])}
    assert left == set()
    bob = f"case {world.cases[7]}"
    old_events = json.loads(before[bob])["events"]
    new_events = json.loads(after[bob])["events"]
    assert len(new_events) == len(old_events) + 1  # and an Erased event on top
    for old, new in zip(old_events, new_events, strict=False):
        if not authors(old) & set(ANN):
            assert old == new  # Bob's own messages and the steps on his case, unchanged


def test_sqlite_holds_what_memory_holds(
    reference: tuple[World, dict[str, str], dict[str, str]], tmp_path: Path
) -> None:
    paths = (tmp_path / f"{n}.db" for n in itertools.count())
    check(reference, lambda: SQLiteStore(next(paths)))


@pytest.mark.postgres
def test_postgres_holds_what_memory_holds(
    reference: tuple[World, dict[str, str], dict[str, str]],
) -> None:
    from closedloop import PostgresStore

    dsn = dsn_or_skip()
    schema = new_schema()
    store = PostgresStore(dsn, schema=schema)
    try:
        check(reference, lambda: store)
    finally:
        store.close()
        drop_schema(dsn, schema)
