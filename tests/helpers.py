"""Builders shared by the tests."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from closedloop import Case, Channel, Desk, Feedback, FeedbackKind

START = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)

_T = TypeVar("_T")


def make_feedback(
    kind: FeedbackKind = FeedbackKind.COMPLAINT,
    *,
    customer: str = "mary@example.com",
    channel: Channel = Channel.WEB_FORM,
    text: str = "The Leeds store staff were rude to me",
    external_id: str | None = None,
) -> Feedback:
    return Feedback(
        customer=customer,
        channel=channel,
        received_at=START,
        text=text,
        kind=kind,
        external_id=external_id,
    )


#: The LATTE steps a test may take by name (take_action and decline are the two "act" steps).
STEPS = ("acknowledge", "take_action", "decline", "thank", "explain", "reopen")


def take_step(desk: Desk, case_id: str, step: str) -> Case:
    """Take the LATTE step named ``step`` on the case, by "amy" (reopen: by the customer)."""
    if step == "acknowledge":
        return desk.acknowledge(case_id, by="amy")
    if step == "take_action":
        return desk.take_action(case_id, by="amy", summary="Fixed it")
    if step == "decline":
        return desk.decline(case_id, by="amy", reason="Out of stock")
    if step == "thank":
        return desk.thank(case_id, by="amy")
    if step == "explain":
        return desk.explain(case_id, by="amy", what_failed="Stock", what_changes="Reorder")
    return desk.reopen(case_id, reason="Not resolved")


def in_threads(count: int, work: Callable[[int], _T]) -> list[_T]:
    """Run ``work(n)`` for n in ``range(count)``, each in its own thread, all let go at once;
    their results in the order they finished. An error in any thread fails the caller."""
    start = threading.Barrier(count)
    results: list[_T] = []
    errors: list[BaseException] = []

    def run(n: int) -> None:
        start.wait()
        try:
            results.append(work(n))
        except BaseException as exc:  # reported below, not lost in the thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [], errors
    return results


class Burst:
    """For a store made for a test: ``after_read()`` runs the next of ``writers`` (other
    writers, arriving together), one per read of the store, not during their own reads."""

    writers: list[Callable[[], object]]
    writing = False

    def after_read(self) -> None:
        if getattr(self, "writers", None) and not self.writing:
            self.writing = True
            try:
                self.writers.pop(0)()
            finally:
                self.writing = False


def memory_or_sqlite(
    kind: str,
    memory: Callable[[], _T],
    sqlite: Callable[[Path], AbstractContextManager[_T]],
    path: Path,
) -> Iterator[_T]:
    """For a fixture parametrised over ``"memory"`` and ``"sqlite"``: the store it yields,
    made by ``memory()``, or by ``sqlite(path)`` and closed after the test."""
    if kind == "memory":
        yield memory()
        return
    with sqlite(path) as store:
        yield store
