"""Finding 5: a datetime whose zone has no loadable name (``ZoneInfo.from_file``, a local
zone without a key, a custom tzinfo) poisoned the tenant; readers of many now survive a
record that cannot be read."""

from __future__ import annotations

import logging
import sqlite3
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from closedloop import (
    CaseStore,
    Channel,
    Desk,
    Feedback,
    Queue,
    SQLiteStore,
    UnreadableRecordError,
    WaitingOn,
)
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier
from tests.adapters.postgres_support import dsn_or_skip

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
BERLIN_FILE = Path("/usr/share/zoneinfo/Europe/Berlin")


def keyless_zone() -> tzinfo:
    """Berlin, read from its file: a ZoneInfo with no key, as tzlocal gives."""
    if not BERLIN_FILE.exists():
        pytest.skip("no tz database file to read a zone from")
    with BERLIN_FILE.open("rb") as file:
        return ZoneInfo.from_file(file)


class HostZone(tzinfo):
    """A host's own tzinfo subclass."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=5, minutes=30)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "Host/Zone"


def feedback(customer: str, at: datetime) -> Feedback:
    return Feedback(customer=customer, channel=Channel.EMAIL, received_at=at, text="Broken")


@pytest.mark.parametrize("zone", [keyless_zone, HostZone])
def test_a_zone_without_a_name_is_kept_as_its_fixed_offset(
    tmp_path: Path, zone: type[tzinfo]
) -> None:
    local = datetime(2026, 11, 23, 10, 0, tzinfo=zone())
    item = feedback("ann@example.com", local)
    assert item.received_at == local  # the same instant
    assert item.received_at.replace(tzinfo=None) == local.replace(tzinfo=None)  # wall time
    assert type(item.received_at.tzinfo) is timezone
    clock = ManualClock(START)
    with SQLiteStore(tmp_path / "zones.db") as store:
        desk = Desk(store, RecordingNotifier(), clock=clock)
        case = desk.listen(item)
    with SQLiteStore(tmp_path / "zones.db") as store:
        assert store.get(case.id) == case


def test_a_promise_and_a_hold_keep_a_zone_without_a_name_as_its_offset(tmp_path: Path) -> None:
    """Before: the case they returned kept the host's tzinfo, the stored one an offset."""
    with SQLiteStore(tmp_path / "zones.db") as store:
        desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
        case = desk.listen(feedback("ann@example.com", START))
        due = datetime(2026, 11, 24, 10, 0, tzinfo=HostZone())
        promised = desk.promises.make(case.id, what="Call back", due_by=due, owner="amy", by="amy")
        held = desk.conversation.hold(
            case.id, WaitingOn.DATE, by="amy", reason="Parts due", resume_by=due
        )
        zones = [promised.promises[0].due_by.tzinfo, held.pause.resume_by.tzinfo]  # type: ignore[union-attr]
        assert zones == [timezone(timedelta(hours=5, minutes=30))] * 2
        assert store.get(case.id) == held


def test_a_host_clock_in_a_zone_without_a_name_leaves_every_case_readable(
    tmp_path: Path,
) -> None:
    zone = keyless_zone()

    class LocalClock:
        def __init__(self) -> None:
            self.at = datetime(2026, 11, 23, 10, 0, tzinfo=zone)

        def now(self) -> datetime:
            return self.at

    clock = LocalClock()
    with SQLiteStore(tmp_path / "clock.db") as store:
        desk = Desk(store, RecordingNotifier(), clock=clock)
        case = desk.listen(feedback("ann@example.com", START))
        desk.acknowledge(case.id, by="Sam")
        clock.at += timedelta(days=10)
        assert desk.sweep().escalated  # late, and every record read back
        assert [c.id for c in desk.queue(Queue.IN_PROGRESS)] == [case.id]


def late_cases(store: CaseStore) -> tuple[Desk, ManualClock, list[str], str]:
    """Five healthy cases and one to poison, all unanswered; the clock then 10 days on."""
    clock = ManualClock(START)
    desk = Desk(store, RecordingNotifier(), clock=clock)
    healthy = [desk.listen(feedback(f"c{i}@example.com", START)).id for i in range(5)]
    poisoned = desk.listen(feedback("bad@example.com", START)).id
    clock.advance(days=10)
    return desk, clock, healthy, poisoned


def check_the_tenant_survives(
    desk: Desk, healthy: list[str], poisoned: str, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="closedloop.storage"):
        report = desk.sweep()
    assert sorted(case_id for case_id, _ in report.escalated) == sorted(healthy)
    assert report.unreadable == (poisoned,)
    assert "unreadable" in str(report)
    assert sorted(c.id for c in desk.queue(Queue.UNANSWERED)) == sorted(healthy)
    assert sorted(c.id for c in desk.unanswered()) == sorted(healthy)
    figures = desk.reports.insights(START - timedelta(days=1), START + timedelta(days=30))
    assert figures.overall.opened == 5
    with pytest.raises(UnreadableRecordError) as caught:
        desk.get(poisoned)
    assert caught.value.record_id == poisoned
    assert any(poisoned in r.getMessage() for r in caplog.records)


def test_one_unreadable_row_in_sqlite_does_not_stop_the_sweep(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "poisoned.db"
    with SQLiteStore(path) as store:
        desk, _, healthy, poisoned = late_cases(store)
        # What the codec used to write for a zone without a key, put straight in the file.
        raw = sqlite3.connect(path)
        raw.execute(
            "UPDATE events SET body = replace(body, '+00:00\"', '+00:00[None]\"') "
            "WHERE case_id = ?",
            (poisoned,),
        )
        raw.execute(  # and in its snapshot, which the same codec wrote
            "UPDATE cases SET snapshot = replace(snapshot, '+00:00\"', '+00:00[None]\"') "
            "WHERE id = ?",
            (poisoned,),
        )
        # An old file has no report facts (they are written since): reports replay it.
        raw.execute("UPDATE case_facts SET basis = '' WHERE case_id = ?", (poisoned,))
        raw.commit()
        raw.close()
        check_the_tenant_survives(desk, healthy, poisoned, caplog)


@pytest.mark.postgres
def test_one_unreadable_row_in_postgres_does_not_stop_the_sweep(
    postgres: CaseStore, caplog: pytest.LogCaptureFixture
) -> None:
    import psycopg

    desk, _, healthy, poisoned = late_cases(postgres)
    with psycopg.connect(dsn_or_skip(), autocommit=True) as raw:
        raw.execute(
            f"UPDATE {postgres.schema}.events "  # type: ignore[attr-defined]
            "SET body = replace(body, '+00:00\"', '+00:00[None]\"') WHERE case_id = %s",
            (poisoned,),
        )
        raw.execute(  # an old file has no report facts: reports replay it
            f"UPDATE {postgres.schema}.case_facts SET basis = '' WHERE case_id = %s",  # type: ignore[attr-defined]
            (poisoned,),
        )
        raw.execute(  # and in its snapshot, which the same codec wrote
            f"UPDATE {postgres.schema}.cases "  # type: ignore[attr-defined]
            "SET snapshot = replace(snapshot, '+00:00\"', '+00:00[None]\"') WHERE id = %s",
            (poisoned,),
        )
    check_the_tenant_survives(desk, healthy, poisoned, caplog)


def test_the_reference_store_keeps_no_zone_a_store_cannot_name() -> None:
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=ManualClock(START))
    local = datetime(2026, 11, 23, 10, 0, tzinfo=keyless_zone())
    case = desk.listen(feedback("ann@example.com", local))
    assert type(case.messages[0].received_at.tzinfo) is timezone
