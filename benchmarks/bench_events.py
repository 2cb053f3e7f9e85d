"""What host events cost on SQLite: on the write path, and to deliver.

Listens to and acknowledges N cases on a desk subscribed to every host event type, and on one
without a subscription (the baseline, same run): the ratio is what queuing two events per case
(``case.opened``, ``case.acknowledged``) adds to the steps. Then dispatches each outbox: the
subscribed desk's holds three messages per case (two events, the acknowledgement) and the
plain one's one, so the figure is the time per message delivered, events (each built from the
stored case at delivery) against customer notifications.
"""

from __future__ import annotations

import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from closedloop import Channel, Desk, Feedback, HostEvent, SQLiteStore, Subscribe
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds


def _steps(desk: Desk, clock: ManualClock, n: int) -> float:
    started = time.perf_counter()
    for i in range(n):
        case = desk.listen(
            Feedback(
                customer=f"c{i}@example.com",
                channel=Channel.EMAIL,
                received_at=clock.now(),
                text="The parcel never came",
            )
        )
        desk.acknowledge(case.id, by="amy")
    return time.perf_counter() - started


def _dispatch(desk: Desk) -> tuple[float, int]:
    started = time.perf_counter()
    sent = 0
    while batch := desk.outbox.dispatch(limit=500).sent:
        sent += len(batch)
    return time.perf_counter() - started, sent


def _round(folder: Path, clock: ManualClock, n: int) -> tuple[float, float, float, float]:
    """One round on fresh databases: the steps and the dispatch time per message, plain and
    subscribed."""
    with (
        SQLiteStore(folder / "plain.db") as plain_store,
        SQLiteStore(folder / "events.db") as events_store,
    ):
        plain = Desk(plain_store, RecordingNotifier(), clock=clock, ids=SequentialIds())
        subscribed = Desk(
            events_store,
            RecordingNotifier(),
            clock=clock,
            ids=SequentialIds(),
            events=Subscribe(_drop),
        )
        base = _steps(plain, clock, n)
        with_events = _steps(subscribed, clock, n)
        plain_time, plain_sent = _dispatch(plain)
        events_time, events_sent = _dispatch(subscribed)
    assert (plain_sent, events_sent) == (n, 3 * n)
    return base, with_events, plain_time / plain_sent, events_time / events_sent


def _drop(event: HostEvent) -> None:
    del event


def run(quick: bool = False) -> None:
    n, rounds = (200, 2) if quick else (1000, 3)
    clock = ManualClock(datetime(2026, 11, 23, 9, 0, tzinfo=UTC))
    found = []
    for _ in range(rounds):  # the best of a few rounds: the machine may be busy
        with tempfile.TemporaryDirectory() as folder:
            found.append(_round(Path(folder), clock, n))
    base, with_events, per_plain, per_events = (min(column) for column in zip(*found, strict=True))
    print(f"host events on SQLite, {n} cases listened to and acknowledged, best of {rounds}")
    print(f"  steps without a subscription       {base:8.3f}s  (baseline)")
    print(f"  steps subscribed to every type     {with_events:8.3f}s  x{with_events / base:.2f}")
    print(f"  dispatch per notification          {per_plain * 1e6:8.0f}us  (baseline)")
    print(
        f"  dispatch per message, events among {per_events * 1e6:8.0f}us  "
        f"x{per_events / per_plain:.2f} (two events of three messages)"
    )
