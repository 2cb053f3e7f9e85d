"""Row helpers the SQL stores share: instants as integers, JSON bodies, replaying rows.

Adapter authors may use them too.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from closedloop.codec import (
    dump_datetime,
    dump_notification,
    dump_record,
    dump_snapshot,
    load_customer,
    load_datetime,
    load_invitation,
    load_notification,
    load_snapshot,
    load_stored_event,
    load_stored_record,
)
from closedloop.domain.cases.case import Case
from closedloop.domain.cases.case import replay as replay_events
from closedloop.domain.cases.events import Event
from closedloop.domain.cases.history import History, Kept
from closedloop.domain.cases.recorded import external_ids_in
from closedloop.domain.change import Change
from closedloop.domain.customers.erasure import authors
from closedloop.domain.customers.identity import Customer
from closedloop.domain.errors import StorageError, UnreadableRecordError
from closedloop.domain.outbox.messages import Delivery, OutboxMessage
from closedloop.domain.reports.kept import KeptFacts
from closedloop.domain.surveys.invitation import Invitation

__all__ = [
    "EPOCH",
    "dump_json",
    "from_snapshot",
    "from_snapshots",
    "from_us",
    "group",
    "load_customer_body",
    "load_invitation_body",
    "load_message",
    "loaded",
    "message_state",
    "new_external_ids",
    "other_authors",
    "preloaded",
    "read_together",
    "replay",
    "skipping",
    "snapshot_json",
    "spent_body",
    "us",
]

_T = TypeVar("_T")
_R = TypeVar("_R")

#: Where readers of many records note the ones they had to leave out.
log = logging.getLogger("closedloop.storage")

#: The instant integer times count from.
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def us(value: datetime) -> int:
    """UTC microseconds since the epoch: sorts by instant, whatever the offset."""
    delta = value - EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    """The UTC instant of :func:`us`."""
    return EPOCH + timedelta(microseconds=value)


#: Compact JSON text, unicode kept as written.
dump_json = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def new_external_ids(change: Change) -> list[str]:
    """The external ids of the messages a change adds to its case, and the key a new case
    claims (the only ones a store has to claim: the earlier ones are the case's already)."""
    return list(external_ids_in(change.events))


def other_authors(case: Case, change: Change | None = None) -> list[str]:
    """The handles other than the case's customer that wrote a message on it (in the
    change's new events only, given a change): the index erasure finds them by."""
    events = case.events if change is None else change.events
    return sorted(authors(events) - {case.customer})


def loaded(load: Callable[[], _T], record: str = "record", record_id: str | None = None) -> _T:
    """``load()``, with a stored record that cannot be read turned into
    :class:`~closedloop.UnreadableRecordError` (a StorageError) naming it."""
    try:
        return load()
    except UnreadableRecordError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, StorageError) as exc:
        raise UnreadableRecordError(record, record_id, repr(exc)[:300]) from exc


def skipping(load: Callable[[_R], _T], rows: Iterable[_R]) -> list[_T]:
    """``load`` of each row, leaving out (and logging) the records that cannot be read:
    one bad record must not stop a reader of many."""
    found: list[_T] = []
    for row in rows:
        try:
            found.append(load(row))
        except UnreadableRecordError as exc:
            # Not the error's reason: it may quote what the record holds.
            log.warning(
                "a stored %s (%s) cannot be read back; a reader of many records left it out",
                exc.record, exc.record_id, extra={"record": exc.record, "record_id": exc.record_id},
            )  # fmt: skip
    return found


def replay(bodies: Iterable[str], case_id: str | None = None) -> Case:
    """A case from its events' JSON bodies, oldest first."""
    return loaded(
        lambda: replay_events(load_stored_event(json.loads(b)) for b in bodies), "case", case_id
    )


def group(rows: list[tuple[str, str]]) -> list[Case]:
    """Cases from ``(case_id, event body)`` rows that come case by case, in version order;
    a case that cannot be read is left out (and logged)."""
    runs: list[list[tuple[str, str]]] = []
    start = 0
    for i in range(1, len(rows) + 1):
        if i == len(rows) or rows[i][0] != rows[start][0]:
            runs.append(rows[start:i])
            start = i
    return skipping(lambda run: replay((body for _, body in run), run[0][0]), runs)


#: Reads the JSON bodies of a case's events, oldest first: the first ``version`` of them,
#: or all of them given None.
Bodies = Callable[[str, int | None], Iterable[str]]


def from_snapshot(case_id: str, snapshot: str | None, bodies: Bodies) -> Case:
    """A case from its stored snapshot (``dump_snapshot`` JSON), its history read by
    ``bodies`` when first needed; replayed from ``bodies(case_id, None)`` instead if the
    snapshot is missing or of another format."""
    if snapshot is not None:
        history = partial(_history, bodies, case_id)
        data = loaded(lambda: json.loads(snapshot), "case", case_id)
        case = loaded(lambda: load_snapshot(data, history), "case", case_id)
        if case is not None:
            if case.id != case_id:
                raise UnreadableRecordError("case", case_id, f"its snapshot is of {case.id!r}")
            _keep(case, data.get("kept"))
            return case
    return replay(bodies(case_id, None), case_id)


def snapshot_json(case: Case, kept: KeptFacts | None = None) -> str:
    """``case``'s snapshot as a store keeps it: :func:`~closedloop.codec.dump_snapshot`,
    with how far its facts were worked out (``Change.kept``) when known, so that the next
    commit's facts go on from the case as read instead of reading its history."""
    data = dump_snapshot(case)
    if kept is not None and kept.version == case.version:
        data["kept"] = dump_record(kept)
    return dump_json(data)


def _keep(case: Case, kept: object) -> None:
    """Hand what a snapshot kept to its case's history, read when first asked for (most
    reads never are): None then if unreadable (it only spares reading the history)."""
    if isinstance(kept, dict) and isinstance(case.events, History):
        case.events.kept = Kept(partial(_kept, kept, case.version))


def _kept(data: dict[str, Any], version: int) -> KeptFacts | None:
    scan = data.get("scan")
    if not isinstance(scan, dict) or not isinstance(scan.get("effort"), dict):
        return None  # (records whose every field has a default would load from anything)
    try:
        found = load_stored_record(KeptFacts, data)
    except (KeyError, TypeError, ValueError, AttributeError, StorageError):
        return None
    return found if found.version == version else None


def _history(bodies: Bodies, case_id: str, version: int) -> tuple[Event, ...]:
    """The first ``version`` events of a case, which its snapshot says are stored."""

    try:
        stored = list(bodies(case_id, version))
    except StorageError as exc:  # the store failed, not the record: say so, not "unreadable"
        raise StorageError(
            f"could not read the history of case {case_id!r} from its store ({exc}); a case"
            " read from a store reads its events when they are first used: use them while"
            " the store is open"
        ) from exc

    def load() -> tuple[Event, ...]:
        events = tuple(load_stored_event(json.loads(b)) for b in stored)
        if len(events) != version:
            raise StorageError(f"{len(events)} events stored, {version} expected")
        return events

    return loaded(load, "case", case_id)


def from_snapshots(rows: Iterable[tuple[str, str | None]], bodies: Bodies) -> list[Case]:
    """Cases from ``(case_id, snapshot)`` rows (see :func:`from_snapshot`); a case that
    cannot be read is left out (and logged)."""
    return skipping(lambda row: from_snapshot(row[0], row[1], bodies), rows)


def preloaded(rows: Iterable[tuple[str, str]], more: Bodies) -> Bodies:
    """:data:`Bodies` over ``(case_id, event body)`` rows already read, in version order
    (for readers that will need the histories of many cases); ``more`` for other cases."""
    found: dict[str, list[str]] = {}
    for case_id, body in rows:
        found.setdefault(case_id, []).append(body)

    def bodies(case_id: str, version: int | None) -> Iterable[str]:
        mine = found.get(case_id)
        if mine is None:
            return more(case_id, version)
        return mine if version is None else mine[:version]

    return bodies


def read_together(
    case_ids: Iterable[str], read: Callable[[list[str]], Iterable[tuple[str, str]]], more: Bodies
) -> Bodies:
    """:data:`Bodies` for a page of cases: the first history any of them needs, ``read``
    (``(case_id, event body)`` rows of the ids given, in version order) reads all of theirs
    in one statement; a reader that needs none (a list view) reads none, a sweep that
    needs every one reads one statement instead of one a case. ``more`` for other cases,
    and for a case whose history was served once already (read again if asked again)."""
    waiting = set(case_ids)
    found: dict[str, list[str]] = {}

    def bodies(case_id: str, version: int | None) -> Iterable[str]:
        if case_id in waiting:
            for other, body in read(sorted(waiting)):
                found.setdefault(other, []).append(body)
            waiting.clear()
        mine = found.pop(case_id, None)
        if mine is None:
            return more(case_id, version)
        return mine if version is None else mine[:version]

    return bodies


def load_invitation_body(body: str, invitation_id: str | None = None) -> Invitation:
    """An invitation from its JSON body."""
    return loaded(lambda: load_invitation(json.loads(body)), "invitation", invitation_id)


def load_customer_body(body: str, customer_id: str | None = None) -> Customer:
    """A customer from its stored JSON body."""
    return loaded(lambda: load_customer(json.loads(body)), "customer", customer_id)


def load_message(row: tuple[Any, ...]) -> OutboxMessage:
    """An outbox message from ``(key, status, attempts, next_attempt_at, last_error,
    sent_at, body)``."""
    key, status, attempts, next_at, last_error, sent_at, body = row
    return loaded(
        lambda: OutboxMessage(
            load_notification(json.loads(body)),
            status=Delivery(status),
            attempts=attempts,
            next_attempt_at=None if next_at is None else load_datetime(next_at),
            last_error=last_error,
            sent_at=None if sent_at is None else load_datetime(sent_at),
        ),
        "outbox message",
        key,
    )


def message_state(message: OutboxMessage, tenant: str) -> tuple[Any, ...]:
    """An outbox row's changing columns, then its key: ``status, next_attempt_us,
    next_attempt_at, last_error, body, tenant, key`` (an erased message is written so)."""
    retry = message.next_attempt_at
    return (
        message.status.value,
        None if retry is None else us(retry),
        None if retry is None else dump_datetime(retry),
        message.last_error,
        dump_json(dump_notification(message.notification)),
        tenant,
        message.key,
    )


def spent_body(body: str) -> str:
    """An outbox body (``dump_notification`` JSON) as kept once delivered: without the
    survey token it carried (see :meth:`Notification.spent`)."""
    if '"token":"' not in body:
        return body
    notification = loaded(lambda: load_notification(json.loads(body)))
    return dump_json(dump_notification(notification.spent()))
