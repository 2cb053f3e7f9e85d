"""Reading every record of a store back, and telling whose it is: for the erasure tests."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

import attrs

from closedloop import CaseStore, CustomerNotFoundError, codec

#: Far enough ahead that every pending message is ready by then.
FAR = datetime(2036, 1, 1).astimezone()


@attrs.frozen
class World:
    """The ids to read every record of a scenario back by."""

    cases: tuple[str, ...]
    invitations: tuple[str, ...]
    customers: tuple[str, ...]
    keys: tuple[str, ...]


def keys_of(store: CaseStore, sent: Iterable[str]) -> tuple[str, ...]:
    """Every outbox key: the pending, the dead, and those a notifier was given."""
    keys = {m.key for m in store.outbox_ready(FAR, 10_000)}
    keys |= {m.key for m in store.dead_letters(10_000)} | set(sent)
    return tuple(sorted(keys))


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


def named(value: Any) -> set[str]:
    """Every handle a dumped record names as a customer, an author, a recipient or a
    customer's handle (fields that say who someone is, not free text)."""
    if isinstance(value, dict):
        found = {v for k, v in value.items() if k in ("customer", "to") and isinstance(v, str)}
        found |= set(value.get("handles", ()))
        return found.union(*(named(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(named(v) for v in value))
    return set()


def theirs(before: dict[str, str], handles: Iterable[str]) -> set[str]:
    """The records that name the customer (as customer, author, recipient or handle
    holder), and the messages about their cases: what their erasure may change."""
    mine = set(handles)
    found = {n for n, text in before.items() if named(json.loads(text)) & mine}
    cases = {
        n.removeprefix("case ")
        for n in found
        if n.startswith("case ")
        and json.loads(before[n])["events"][0]["feedback"]["customer"] in mine
    }
    for name, text in before.items():
        if name.startswith("message ") and json.loads(text)["notification"]["case_id"] in cases:
            found.add(name)
    return found


#: Fields naming records (a key "case-2/1/reply" holds "1"), not people.
IDS = frozenset({"id", "key", "case_id", "invitation_id", "recovery_case_id", "other", "into"})


def strings(value: Any) -> Iterator[str]:
    """Every string value in a dumped record, but ids of records."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for name, inner in value.items():
            if name not in IDS:
                yield from strings(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from strings(inner)


def stands_in(handle: str, record: str) -> bool:
    """Whether ``handle`` stands as a handle of its own (not inside a longer one, like
    ``ann@example.com`` in ``joann@example.com``) in a string of the dumped ``record``."""
    pattern = re.compile(rf"(?<![\w.+\-@%]){re.escape(handle)}(?![\w+\-@%]|\.\w)")
    return any(pattern.search(s) for s in strings(json.loads(record)))


def changed(before: dict[str, str], after: dict[str, str], keep: set[str]) -> list[str]:
    """The records outside ``keep`` the erasure changed."""
    return sorted(n for n in before if n not in keep and before[n] != after.get(n))
