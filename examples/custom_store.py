"""A CaseStore adapter in one file: cases and the outbox as JSON files in a folder.

This is how an adapter outside closedloop is written, using only its public API. Each
tenant gets a folder under ``root``::

    <root>/<tenant>/cases/<case id>.json       the case, as closedloop.codec.dump_case
    <root>/<tenant>/outbox/<key>.json          a notification and its delivery state
    <root>/<tenant>/invitations/<id>.json      a survey invitation, as codec.dump_invitation
    <root>/<tenant>/customers/<id>.json        a customer and their handles, codec.dump_customer
    <root>/<tenant>/handles.json               {handle: customer id}
    <root>/<tenant>/external_ids.json          {external id: case id}
    <root>/<tenant>/journal.json               a commit being applied (only during one)

File names are made safe (any string can be an id: slashes, "..", upper and lower case on
a case-insensitive disk), so the real id is always read from inside the file.

Every file is replaced atomically (temp file, then ``os.replace``). A change touching
several files is first written whole to ``journal.json`` and then applied; a store opened
after a crash finishes the journal, so a commit is all or nothing even across a crash.

The class reads in the order of the storage roles in ``closedloop.ports`` (the unit of
work, then cases, the outbox, invitations, erasure and customers); each section's header
names the requirements of docs/storage.md it meets.

Limits, as befits an example: the queries read every file of the tenant (a real adapter
keeps an index for each named query), and writes are guarded by a ``threading.Lock``
shared by one store object and its ``for_tenant`` views, so it is safe for threads in one
process but NOT for several processes, or several store objects, writing one folder at once.

Run it: python examples/custom_store.py
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Self

from closedloop import (
    Case,
    CaseNotFoundError,
    Change,
    ConcurrencyError,
    Customer,
    CustomerChange,
    CustomerNotFoundError,
    Delivery,
    DueCase,
    DuplicateExternalIdError,
    Erasure,
    HandleTakenError,
    Invitation,
    InvitationChange,
    InvitationNotFoundError,
    MessageNotFoundError,
    Notification,
    OutboxMessage,
    Queue,
    StorageError,
    codec,  # exact JSON round trips: cases, notifications, datetimes
)
from closedloop.adapters.common import (
    check_batch,
    check_customer_batch,
    check_limit,
    check_queue,
    check_tenant,
    erased_customers,
    instant,
)
from closedloop.ports import DEFAULT_TENANT

EXTERNAL_IDS = "external_ids.json"
HANDLES = "handles.json"
OUTBOX_SEQ = "outbox_seq.json"  # the last number given to an outbox message
JOURNAL = "journal.json"


class JsonFolderStore:
    """A :class:`closedloop.CaseStore` keeping one tenant's records as JSON files."""

    def __init__(
        self,
        root: str | os.PathLike[str],
        tenant: str = DEFAULT_TENANT,
        *,
        _lock: threading.Lock | None = None,
    ) -> None:
        self._root = Path(root)
        self._tenant = check_tenant(tenant)
        self._dir = self._root / _safe(tenant)
        self._lock = _lock if _lock is not None else threading.Lock()
        with self._lock:
            for sub in ("cases", "outbox", "invitations", "customers"):
                (self._dir / sub).mkdir(parents=True, exist_ok=True)
            self._finish_journal()

    @property
    def root(self) -> Path:
        """The folder holding every tenant's records."""
        return self._root

    # -- UnitOfWork: R1, R2, R6 ----------------------------------------------------------
    # Commits: all or nothing, checked against the version read, per tenant.

    @property
    def tenant(self) -> str:
        return self._tenant

    def for_tenant(self, tenant: str) -> Self:
        return type(self)(self._root, tenant, _lock=self._lock)

    def commit(self, change: Change | InvitationChange) -> None:
        self.commit_many((change,))

    def commit_many(self, changes: Sequence[Change | InvitationChange]) -> None:
        check_batch(changes)  # each case and invitation at most once per batch
        with self._lock:
            index: dict[str, str] = _read(self._dir / EXTERNAL_IDS) or {}
            known = len(index)
            writes: dict[Path, Any] = {}
            # Check every change before writing anything, so a refused batch changes nothing.
            seq: int = _read(self._dir / OUTBOX_SEQ) or 0
            numbered = seq
            for change in changes:
                for note in change.notifications:  # a key is stored once: the first wins
                    path = self._outbox_path(note.key)
                    if path not in writes and not path.exists():
                        seq += 1  # R7: messages of one instant go out in commit order
                        writes[path] = _record(note, next_attempt_at=note.ready_at, seq=seq)
                if isinstance(change, InvitationChange):
                    invitation = change.invitation
                    stored = _read(self._invitation_path(invitation.id))
                    actual = None if stored is None else stored["version"]
                    if (actual or 0) != change.expected_version:
                        raise ConcurrencyError(
                            invitation.id, change.expected_version, actual, record="invitation"
                        )
                    writes[self._invitation_path(invitation.id)] = codec.dump_invitation(invitation)
                    continue
                case = change.case
                stored = _read(self._case_path(case.id))
                actual = None if stored is None else stored["version"]
                if (actual or 0) != change.expected_version:
                    raise ConcurrencyError(case.id, change.expected_version, actual)
                for external_id in case.external_ids:  # not those a merge brought
                    if index.setdefault(external_id, case.id) != case.id:
                        raise DuplicateExternalIdError(case.id, external_id)
                writes[self._case_path(case.id)] = codec.dump_case(case)
            if len(index) > known:
                writes[self._dir / EXTERNAL_IDS] = index
            if seq != numbered:
                writes[self._dir / OUTBOX_SEQ] = seq
            self._apply(writes)

    # -- CaseStorage: R3, R4, R5 ---------------------------------------------------------
    # Cases read back exactly, by id and through the named queries, in order.

    def get(self, case_id: str) -> Case:
        with self._lock:
            data = _read(self._case_path(case_id))
        if data is None:
            raise CaseNotFoundError(case_id)
        return codec.load_case(data)

    def find_by_external_id(self, external_id: str) -> Case | None:
        with self._lock:
            case_id = (_read(self._dir / EXTERNAL_IDS) or {}).get(external_id)
        return None if case_id is None else self.get(case_id)

    def cases_of(self, customer: str) -> Sequence[Case]:
        with self._lock:
            cases = self._cases()
        found = [c for c in cases if c.customer == customer]
        return sorted(found, key=lambda c: (instant(c.opened_at), c.id))

    def due(self, before: datetime, limit: int = 100) -> Sequence[DueCase]:
        check_limit(limit)
        with self._lock:
            cases = self._cases()
        cutoff = instant(before)
        found = [
            DueCase(c.id, instant(c.due_at), c.version)
            for c in cases
            if c.due_at is not None and instant(c.due_at) < cutoff
        ]
        return sorted(found, key=lambda d: (d.due_at, d.id))[:limit]

    def unanswered(self, limit: int = 100) -> Sequence[Case]:
        check_limit(limit)
        with self._lock:
            cases = self._cases()
        found = [c for c in cases if c.acknowledged_at is None and c.is_active]
        return sorted(found, key=lambda c: (instant(c.opened_at), c.id))[:limit]

    def queue(self, queue: Queue, limit: int = 100) -> Sequence[Case]:
        check_limit(limit)
        check_queue(queue)
        with self._lock:
            cases = self._cases()
        found = [c for c in cases if c.queue is queue]
        return sorted(found, key=lambda c: (instant(c.queued_since or c.opened_at), c.id))[:limit]

    def cases_active(self, since: datetime, until: datetime) -> Iterator[Case]:
        with self._lock:
            cases = self._cases()
        active = [
            c
            for c in cases
            if any(instant(since) <= instant(e.at) < instant(until) for e in c.events)
        ]
        yield from sorted(active, key=lambda c: (instant(c.opened_at), c.id))

    # -- OutboxStorage: R7 ---------------------------------------------------------------
    # The outbox: claims with a lease, deliveries, failures, dead letters.

    def outbox_claim(
        self, now: datetime, limit: int = 100, lease: timedelta = timedelta(minutes=5)
    ) -> Sequence[OutboxMessage]:
        check_limit(limit)
        with self._lock:
            claimed = self._ready(now)[:limit]
            until = codec.dump_datetime(now + lease)
            self._apply(
                {self._outbox_path(m.key): r | {"next_attempt_at": until} for m, r in claimed}
            )
        return [m for m, _ in claimed]  # as they were before the lease, like the reference

    def outbox_ready(self, now: datetime, limit: int = 100) -> Sequence[OutboxMessage]:
        check_limit(limit)
        with self._lock:
            return [m for m, _ in self._ready(now)[:limit]]

    def _ready(self, now: datetime) -> list[tuple[OutboxMessage, dict[str, Any]]]:
        ready = [
            (m, r)
            for m, r in self._messages()
            if m.status is Delivery.PENDING
            and m.next_attempt_at is not None
            and instant(m.next_attempt_at) <= instant(now)
        ]
        ready.sort(key=_commit_order)
        return ready

    def mark_sent(self, key: str, at: datetime) -> None:
        with self._lock:
            r = self._record(key)
            if r["status"] != Delivery.SENT.value:  # forget the survey token it carried
                spent = codec.load_notification(r["notification"]).spent()
                r["notification"] = codec.dump_notification(spent)
                r.update(status=Delivery.SENT.value, attempts=r["attempts"] + 1)
                r.update(sent_at=codec.dump_datetime(at), next_attempt_at=None)
                self._apply({self._outbox_path(key): r})

    def mark_failed(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        self._fail(key, error, retry_at, (Delivery.PENDING.value,))

    def mark_bounced(self, key: str, at: datetime, error: str, retry_at: datetime | None) -> None:
        self._fail(key, error, retry_at, (Delivery.PENDING.value, Delivery.SENT.value))

    def _fail(
        self, key: str, error: str, retry_at: datetime | None, states: tuple[str, ...]
    ) -> None:
        with self._lock:
            r = self._record(key)
            if r["status"] not in states:
                return
            status = Delivery.PENDING if retry_at is not None else Delivery.DEAD
            r.update(status=status.value, attempts=r["attempts"] + 1, last_error=error)
            r["next_attempt_at"] = None if retry_at is None else codec.dump_datetime(retry_at)
            self._apply({self._outbox_path(key): r})

    def dead_letters(self, limit: int = 100) -> Sequence[OutboxMessage]:
        check_limit(limit)
        with self._lock:
            dead = [(m, r) for m, r in self._messages() if m.status is Delivery.DEAD]
        return [m for m, _ in sorted(dead, key=_commit_order)][:limit]

    def requeue(self, key: str, at: datetime) -> None:
        with self._lock:
            r = self._record(key)
            if r["status"] == Delivery.DEAD.value:
                r.update(status=Delivery.PENDING.value, attempts=0)
                r["next_attempt_at"] = codec.dump_datetime(at)
                self._apply({self._outbox_path(key): r})

    def outbox_message(self, key: str) -> OutboxMessage:
        with self._lock:
            return _message(self._record(key))

    # -- InvitationStorage: R9 -----------------------------------------------------------
    # Survey invitations (committed by commit_many above).

    def invitation(self, invitation_id: str) -> Invitation:
        with self._lock:
            data = _read(self._invitation_path(invitation_id))
        if data is None:
            raise InvitationNotFoundError(invitation_id)
        return codec.load_invitation(data)

    def invitations_of(self, customer: str) -> Sequence[Invitation]:
        found = [i for i in self._invitations() if i.customer == customer]
        return sorted(found, key=lambda i: (instant(i.created_at), i.id))

    def invitations_due(self, before: datetime, limit: int = 100) -> Sequence[Invitation]:
        check_limit(limit)
        due = [(instant(i.due_at), i.id, i) for i in self._invitations() if i.due_at is not None]
        return [i for at, _, i in sorted(due) if at < instant(before)][:limit]

    def responses(self, since: datetime, until: datetime) -> Iterator[Invitation]:
        answered = [
            (instant(i.response.received_at), i.id, i)
            for i in self._invitations()
            if i.response is not None
        ]
        for at, _, invitation in sorted(answered):
            if instant(since) <= at < instant(until):
                yield invitation

    # -- ErasureStorage: R10 -------------------------------------------------------------
    # Erasing one customer from every record of the tenant.

    def erase(self, erasure: Erasure, at: datetime) -> int:
        """Rewrite every file naming the customer (files are replaced, not edited)."""
        with self._lock:
            writes: dict[Path, Any] = {}
            cases = [c for c in self._cases() if erasure.holds(c)]  # or a message they wrote
            theirs = {c.id for c in cases if c.customer in erasure.handles}
            renamed: dict[tuple[str, str], str] = {}  # (external id, its case): the new id
            for case in cases:
                for external_id, new in erasure.external_ids(case).items():
                    renamed[external_id, case.id] = new
                writes[self._case_path(case.id)] = codec.dump_case(erasure.case(case, at))
            index: dict[str, str] = _read(self._dir / EXTERNAL_IDS) or {}
            if renamed.keys() & index.items():
                writes[self._dir / EXTERNAL_IDS] = {
                    renamed.get((x, c), x): c for x, c in index.items()
                }
            invitations = [i for i in self._invitation_files() if i.customer in erasure.handles]
            for invitation in invitations:
                erased = erasure.invitation(invitation, at)
                writes[self._invitation_path(invitation.id)] = codec.dump_invitation(erased)
            messages = [
                (m, r)
                for m, r in self._messages()
                if m.notification.case_id in theirs or m.notification.to in erasure.handles
            ]
            for message, record in messages:
                erased = _record_of(erasure.message(message)) | {"seq": record["seq"]}
                writes[self._outbox_path(message.key)] = erased
            handles: dict[str, str] = _read(self._dir / HANDLES) or {}
            people = erased_customers(erasure, at, self._customer_file, self._owner)
            for key, _ in people:  # a record whose id was a handle moves to a new file
                writes[self._customer_path(key)] = None  # None: remove the file
                handles = {h: owner for h, owner in handles.items() if owner != key}
            for _, person in people:
                writes[self._customer_path(person.id)] = codec.dump_customer(person)
                handles.update(dict.fromkeys(person.handles, person.id))
            if people:
                writes[self._dir / HANDLES] = handles
            self._apply(writes)
        return len(cases) + len(invitations) + len(messages) + len(people)

    # -- CustomerStorage: R11 ------------------------------------------------------------
    # Customers and their handles, with a commit of their own.

    def customer(self, customer_id: str) -> Customer:
        with self._lock:
            data = _read(self._customer_path(customer_id))
        if data is None:
            raise CustomerNotFoundError(customer_id)
        return codec.load_customer(data)

    def customer_of(self, handle: str) -> Customer | None:
        with self._lock:
            owner = (_read(self._dir / HANDLES) or {}).get(handle)
        return None if owner is None else self.customer(owner)

    def commit_customers(self, changes: Sequence[CustomerChange]) -> None:
        check_customer_batch(changes)
        with self._lock:
            handles: dict[str, str] = _read(self._dir / HANDLES) or {}
            changing = {c.customer.id for c in changes}
            writes: dict[Path, Any] = {}
            for change in changes:
                person = change.customer
                stored = _read(self._customer_path(person.id))
                actual = None if stored is None else stored["version"]
                if (actual or 0) != change.expected_version:
                    raise ConcurrencyError(
                        person.id, change.expected_version, actual, record="customer"
                    )
                for handle in person.handles:
                    owner = handles.get(handle)
                    if owner is not None and owner not in changing:
                        raise HandleTakenError(handle, owner)
                writes[self._customer_path(person.id)] = codec.dump_customer(person)
            kept = {h: owner for h, owner in handles.items() if owner not in changing}
            for change in changes:
                kept.update(dict.fromkeys(change.customer.handles, change.customer.id))
            writes[self._dir / HANDLES] = kept
            self._apply(writes)

    # -- files (callers hold the lock) ---------------------------------------------------

    def _case_path(self, case_id: str) -> Path:
        return self._dir / "cases" / f"{_safe(case_id)}.json"

    def _outbox_path(self, key: str) -> Path:
        return self._dir / "outbox" / f"{_safe(key)}.json"

    def _customer_path(self, customer_id: str) -> Path:
        return self._dir / "customers" / f"{_safe(customer_id)}.json"

    def _invitation_path(self, invitation_id: str) -> Path:
        return self._dir / "invitations" / f"{_safe(invitation_id)}.json"

    def _customer_file(self, customer_id: str) -> Customer | None:
        data = _read(self._customer_path(customer_id))
        return None if data is None else codec.load_customer(data)

    def _owner(self, handle: str) -> Customer | None:
        owner = (_read(self._dir / HANDLES) or {}).get(handle)
        return None if owner is None else self._customer_file(owner)

    def _invitations(self) -> list[Invitation]:
        with self._lock:
            return self._invitation_files()

    def _invitation_files(self) -> list[Invitation]:
        dumped = [_read(p) for p in (self._dir / "invitations").glob("*.json")]
        return [codec.load_invitation(d) for d in dumped if d is not None]

    def _cases(self) -> list[Case]:
        dumped = [_read(p) for p in (self._dir / "cases").glob("*.json")]
        return [codec.load_case(d) for d in dumped if d is not None]

    def _messages(self) -> list[tuple[OutboxMessage, dict[str, Any]]]:
        records = [_read(p) for p in (self._dir / "outbox").glob("*.json")]
        return [(_message(r), r) for r in records if r is not None]

    def _record(self, key: str) -> dict[str, Any]:
        record: dict[str, Any] | None = _read(self._outbox_path(key))
        if record is None:
            raise MessageNotFoundError(key)
        return record

    def _apply(self, writes: dict[Path, Any]) -> None:
        """Write several files as one: journal them first when there is more than one."""
        if len(writes) > 1:
            journal = {str(p.relative_to(self._dir)): data for p, data in writes.items()}
            _write(self._dir / JOURNAL, journal)
            self._finish_journal()
        elif writes:
            ((path, data),) = writes.items()
            _write(path, data)

    def _finish_journal(self) -> None:
        """Apply the journal left by a commit (or a crash), then remove it."""
        journal = _read(self._dir / JOURNAL)
        if journal is not None:
            for relative, data in journal.items():
                _write(self._dir / relative, data)
            (self._dir / JOURNAL).unlink()


# -- helpers -----------------------------------------------------------------------------


def _safe(name: str) -> str:
    """A file name for any string: a readable part plus a hash of the exact string."""
    readable = re.sub(r"[^a-z0-9_-]+", "_", name.lower())[:40]
    return f"{readable}-{hashlib.sha256(name.encode()).hexdigest()[:24]}"


def _read(path: Path) -> Any:
    """The JSON in ``path``, or None if there is no such file."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:  # closedloop's error, not the file system's
        raise StorageError(f"cannot read {path}: {exc}") from exc


def _write(path: Path, data: Any) -> None:
    """Replace ``path`` atomically: readers see the old file or the new one, never half.
    ``None`` removes it."""
    if data is None:
        path.unlink(missing_ok=True)
        return
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(data, f, ensure_ascii=False)
                f.flush()
                os.fsync(f.fileno())  # on disk before it takes the old file's place
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise StorageError(f"cannot write {path}: {exc}") from exc


def _record(note: Notification, *, next_attempt_at: datetime, seq: int) -> dict[str, Any]:
    return {
        "seq": seq,
        "notification": codec.dump_notification(note),
        "status": Delivery.PENDING.value,
        "attempts": 0,
        "next_attempt_at": codec.dump_datetime(next_attempt_at),
        "last_error": None,
        "sent_at": None,
    }


def _commit_order(pair: tuple[OutboxMessage, dict[str, Any]]) -> tuple[datetime, int]:
    return instant(pair[0].notification.created_at), pair[1]["seq"]


def _record_of(message: OutboxMessage) -> dict[str, Any]:
    def when(value: datetime | None) -> str | None:
        return None if value is None else codec.dump_datetime(value)

    return {
        "notification": codec.dump_notification(message.notification),
        "status": message.status.value,
        "attempts": message.attempts,
        "next_attempt_at": when(message.next_attempt_at),
        "last_error": message.last_error,
        "sent_at": when(message.sent_at),
    }


def _message(r: dict[str, Any]) -> OutboxMessage:
    def when(text: str | None) -> datetime | None:
        return None if text is None else codec.load_datetime(text)

    return OutboxMessage(
        codec.load_notification(r["notification"]),
        status=Delivery(r["status"]),
        attempts=r["attempts"],
        next_attempt_at=when(r["next_attempt_at"]),
        last_error=r["last_error"],
        sent_at=when(r["sent_at"]),
    )


if __name__ == "__main__":
    from datetime import UTC

    from closedloop import Channel, Desk, Feedback
    from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds

    with tempfile.TemporaryDirectory() as folder:
        clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
        notifier = RecordingNotifier()
        desk = Desk(JsonFolderStore(folder), notifier, clock=clock, ids=SequentialIds())
        case = desk.listen(
            Feedback(
                customer="mary@example.com",
                channel=Channel.EMAIL,
                received_at=clock.now(),
                text="My parcel never arrived",
            )
        )
        desk.acknowledge(case.id, by="Amy Lee")
        report = desk.outbox.dispatch()
        again = JsonFolderStore(folder).get(case.id)  # a new store object reads it back
        print(f"{again.id} is {again.stage.value} at version {again.version}; sent {report.sent}")
        for path in sorted(Path(folder).rglob("*.json")):
            print(f"  {path.relative_to(folder)}")
