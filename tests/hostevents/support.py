"""A desk subscribed to host events, and a check of each event against the shipped schema."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import jsonschema

from closedloop import Desk, HostEvent, Policy, Subscribe
from closedloop.hostevents import schema
from closedloop.ports import CaseStore
from closedloop.testing import ManualClock, RecordingNotifier, SequentialIds

VALIDATOR = jsonschema.Draft202012Validator(schema(), format_checker=jsonschema.FormatChecker())


class Collected:
    """An event handler that keeps what it was given (and can be told to fail)."""

    def __init__(self) -> None:
        self.events: list[HostEvent] = []
        self.fail: Callable[[HostEvent], bool] | None = None

    def __call__(self, event: HostEvent) -> None:
        if self.fail is not None and self.fail(event):
            raise ConnectionError(f"the CRM is down ({event.id})")
        self.events.append(event)

    def types(self) -> list[str]:
        return [e.type for e in self.events]

    def of(self, name: str) -> HostEvent:
        (found,) = [e for e in self.events if e.type == name]
        return found


def subscribed(
    store: CaseStore,
    clock: ManualClock,
    kinds: Iterable[str] | None = None,
    *,
    personal_data: bool = False,
    policy: Policy | None = None,
) -> tuple[Desk, Collected, RecordingNotifier]:
    collected = Collected()
    notifier = RecordingNotifier()
    desk = Desk(
        store,
        notifier,
        clock=clock,
        policy=policy,
        ids=SequentialIds(),
        events=Subscribe(
            collected, kinds=None if kinds is None else set(kinds), personal_data=personal_data
        ),
    )
    return desk, collected, notifier


def valid(event: HostEvent) -> dict[str, Any]:
    """The event's JSON, after checking it against the schema (raises if it does not fit)."""
    document = event.to_dict()
    VALIDATOR.validate(document)
    return document


def close_loop(desk: Desk, case_id: str) -> None:
    """Take the case through every LATTE step, by "amy"."""
    desk.acknowledge(case_id, by="amy")
    desk.take_action(case_id, by="amy", summary="Done")
    desk.thank(case_id, by="amy")
    desk.explain(case_id, by="amy", what_failed="a", what_changes="b")
