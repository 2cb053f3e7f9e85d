"""One lifecycle step in the pure domain, against a dict lookup plus attrs.evolve."""

from __future__ import annotations

import timeit
from datetime import UTC, datetime

import attrs

from closedloop import Channel, Desk, Feedback
from closedloop.domain.cases import steps as latte
from closedloop.testing import InMemoryStore, ManualClock, RecordingNotifier

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@attrs.frozen
class Fifteen:
    """The baseline's record: a 15-field frozen attrs class."""

    stage: str
    version: int
    f2: int = 2
    f3: int = 3
    f4: int = 4
    f5: int = 5
    f6: int = 6
    f7: int = 7
    f8: int = 8
    f9: int = 9
    f10: int = 10
    f11: int = 11
    f12: int = 12
    f13: str = "x"
    f14: str = "y"


TABLE = {("acknowledged", "take_action"): "action_taken"}


def baseline_step(record: Fifteen) -> Fifteen:
    """What a hand-written state machine costs: look the move up, evolve the record."""
    target = TABLE[(record.stage, "take_action")]
    return attrs.evolve(record, stage=target, version=record.version + 1)


def best(fn: object, number: int, repeat: int) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number  # type: ignore[arg-type]


def run(quick: bool = False) -> None:
    number, repeat = (2_000, 3) if quick else (20_000, 7)
    feedback = Feedback(customer="m@example.com", channel=Channel.EMAIL, received_at=NOW, text="x")
    acknowledged = latte.acknowledge(latte.open_case("c", feedback, at=NOW), at=NOW, by="amy")
    record = Fifteen("acknowledged", 2)

    # Interleave the two so that machine noise hits both alike.
    ours, base = [], []
    for _ in range(repeat):
        ours.append(
            best(lambda: latte.take_action(acknowledged, at=NOW, by="amy", summary="ok"), number, 1)
        )
        base.append(best(lambda: baseline_step(record), number, 1))
    step, baseline = min(ours), min(base)
    print("lifecycle step (pure domain, take_action)")
    print(f"  baseline dict lookup + attrs.evolve (15 fields): {baseline * 1e6:6.2f} us")
    print(f"  closedloop domain step:                          {step * 1e6:6.2f} us")
    print(f"  ratio closedloop / baseline: {step / baseline:.2f}x  (target <= 1.5x)")

    cases = 500 if quick else 5_000
    clock = ManualClock(NOW)
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock)

    def full_cases() -> None:
        for i in range(cases):
            c = desk.listen(
                Feedback(customer=f"c{i}", channel=Channel.EMAIL, received_at=NOW, text="Late")
            )
            desk.acknowledge(c.id, by="amy")
            desk.take_action(c.id, by="amy", summary="Refunded")
            desk.thank(c.id, by="amy")
            desk.explain(c.id, by="amy", what_failed="Courier", what_changes="New courier")
        desk.outbox.dispatch(limit=cases * 3)

    seconds = min(timeit.repeat(full_cases, number=1, repeat=3))
    print(
        f"full LATTE cases through the Desk on InMemoryStore (with dispatch): "
        f"{cases / seconds:,.0f} cases/s  (target >= 15,000/s; the same machine's "
        f"baseline step above: {seconds / cases / baseline:,.0f}x one dict lookup + evolve)"
    )
    long_history(quick)


def long_history(quick: bool = False) -> None:
    """A note on a case with 500 events against one on a case with 5: what a step costs as
    a case's history grows (report facts are measured from the last commit on)."""
    clock = ManualClock(NOW)
    desk = Desk(InMemoryStore(), RecordingNotifier(), clock=clock)

    def case_with(events: int) -> str:
        case = desk.listen(Feedback(customer="m@example.com", channel=Channel.EMAIL,
                                    received_at=NOW, text="Late"))  # fmt: skip
        desk.acknowledge(case.id, by="amy")
        for n in range(events - 2):
            desk.conversation.note(case.id, f"note {n}", by="amy")
        return case.id

    short, long = case_with(5), case_with(500)
    number = 50 if quick else 300

    def notes(case_id: str) -> float:
        start = timeit.default_timer()
        for n in range(number):
            desk.conversation.note(case_id, f"more {n}", by="amy")
        return (timeit.default_timer() - start) / number

    few = min(notes(short) for _ in range(3))
    many = min(notes(long) for _ in range(3))
    print("a step as the history grows (a note, InMemoryStore)")
    print(f"  on a case with 5 events:   {few * 1e3:6.2f} ms")
    print(f"  on a case with 500 events: {many * 1e3:6.2f} ms")
    print(f"  ratio 500 / 5: {many / few:.2f}x  (no target: a step's cost as its history grows)")
