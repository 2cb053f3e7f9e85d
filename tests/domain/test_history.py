"""History: a case's events loaded on first use, equal to the tuple they stand for."""

from __future__ import annotations

import pickle

import attrs
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from closedloop import Feedback
from closedloop.codec import SNAPSHOT_FORMAT, dump_snapshot, load_snapshot
from closedloop.domain.cases import steps as latte
from closedloop.domain.cases.case import Case, replay
from closedloop.domain.cases.events import Event
from closedloop.domain.cases.history import History, last_at
from closedloop.domain.cases.promises import Promise
from closedloop.testing import strategies
from closedloop.testing.conformance.base import T0, _feedback


class Loader:
    def __init__(self, events: tuple[Event, ...]) -> None:
        self.events, self.calls = events, 0

    def __call__(self) -> tuple[Event, ...]:
        self.calls += 1
        return self.events


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(case=strategies.cases(), data=st.data())
def test_a_history_is_the_sequence_it_loads(case: Case, data: st.DataObject) -> None:
    events = tuple(case.events)
    stored = data.draw(st.integers(min_value=1, max_value=len(events)))
    loader = Loader(events[:stored])
    history = History(loader, stored)
    for event in events[stored:]:
        history = history.plus(event)
    assert len(history) == len(events)
    assert history[stored:] == events[stored:]  # the events added since: nothing loaded
    assert loader.calls == 0
    assert history == events
    assert events == history
    assert list(history) == list(events)
    assert list(reversed(history)) == list(reversed(events))
    assert history[-1] == events[-1]
    assert history[:stored] == events[:stored]
    assert hash(history) == hash(events)
    assert pickle.loads(pickle.dumps(history)) == events
    assert loader.calls == 1  # once, however often it is read


def test_a_step_on_a_case_read_with_a_history_loads_nothing() -> None:
    case = latte.acknowledge(latte.open_case("c1", _feedback(), at=T0, due_at=T0), at=T0, by="amy")
    loader = Loader(tuple(case.events))
    read = load_snapshot(dump_snapshot(case), lambda version: loader.events[:version])
    assert read is not None
    moved = latte.assign(read, at=T0, by="amy", owner="bob")
    assert moved.events[read.version :] == (moved.events[-1],)
    assert moved == latte.assign(case, at=T0, by="amy", owner="bob")
    assert replay(moved.events) == moved
    assert attrs.evolve(read, owner="bob").events == case.events


def test_the_steps_made_from_one_read_case_load_its_history_once_between_them() -> None:
    # A step previews the case it makes (to schedule it) and then makes it: both come from
    # the case as read, and a store serves a page's histories once (one statement).
    case = latte.acknowledge(latte.open_case("c1", _feedback(), at=T0, due_at=T0), at=T0, by="amy")
    calls: list[int] = []
    read = load_snapshot(
        dump_snapshot(case), lambda version: calls.append(version) or tuple(case.events)
    )
    assert read is not None
    one = latte.assign(read, at=T0, by="amy", owner="bob")
    two = latte.assign(read, at=T0, by="amy", owner="cy")
    assert (tuple(one.events[:2]), tuple(two.events[:2])) == (tuple(case.events),) * 2
    assert calls == [case.version]


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(case=strategies.cases())
def test_a_snapshot_reads_back_every_field(case: Case) -> None:
    back = load_snapshot(dump_snapshot(case), lambda version: tuple(case.events)[:version])
    assert back == case


def test_a_snapshot_of_another_format_is_not_read() -> None:
    case = latte.open_case("c1", _feedback(), at=T0, due_at=T0)
    older = {**dump_snapshot(case), "format": SNAPSHOT_FORMAT - 2}
    assert load_snapshot(older, lambda version: tuple(case.events)) is None


def test_a_format_5_snapshot_is_replayed_whatever_the_case() -> None:
    """Format 6 added the last reopen and the pause history, which a format-5 snapshot of a
    case paused once cannot tell: every older snapshot is replayed (and rewritten by the
    case's next commit)."""
    case = latte.open_case("c1", _feedback(), at=T0, due_at=T0)
    older = {
        k: v for k, v in dump_snapshot(case).items() if k not in ("reopened_at", "pause_history")
    }
    assert load_snapshot({**older, "format": 5}, lambda version: tuple(case.events)) is None


def test_the_snapshot_format_changes_with_the_case_fields() -> None:
    # A field added to Case or to the Feedback or Promise it holds (or removed) makes every
    # stored snapshot wrong: raise SNAPSHOT_FORMAT with it, and update these lists.
    fields = [f.name for f in attrs.fields(Case) if f.name != "events"]
    message_fields = [f.name for f in attrs.fields(Feedback)]
    promise_fields = [f.name for f in attrs.fields(Promise)]
    assert (SNAPSHOT_FORMAT, fields, message_fields, promise_fields) == (
        7,
        ["id", "customer", "kind", "priority", "subject", "reply_channel", "opened_at",
         "stage", "version", "messages", "owner", "due_at", "action", "declined",
         "explanation", "reopen_count", "escalation_level", "origin", "promises",
         "merged_into", "pause", "awaiting_reply_since", "contact_promise", "team", "tags",
         "fields", "reopened_at", "pause_history", "acknowledged_at", "opened_on"],
        ["customer", "channel", "received_at", "text", "kind", "score", "external_id",
         "subject", "repeated", "matter_key", "locale", "tags", "fields"],
        ["id", "what", "due_by", "owner", "made_at", "kept_at", "escalated", "warned",
         "rescheduled_to", "announced_at"],
    )  # fmt: skip


def test_a_step_held_to_the_cases_last_instant_loads_nothing_from_a_snapshot() -> None:
    # The domain refuses a step earlier than the case's last event: reading that instant
    # must not cost a load of the whole history (the snapshot keeps it as "last_at").
    case = latte.acknowledge(latte.open_case("c1", _feedback(), at=T0, due_at=T0), at=T0, by="amy")
    calls: list[int] = []

    def load(version: int) -> tuple[Event, ...]:
        calls.append(version)
        return tuple(case.events)[:version]

    read = load_snapshot(dump_snapshot(case), load)
    assert read is not None
    assert last_at(read.events) == T0
    latte.assign(read, at=T0, by="amy", owner="bob")
    assert calls == []
    older = {k: v for k, v in dump_snapshot(case).items() if k != "last_at"}
    before = load_snapshot(older, load)  # written before snapshots kept it: loaded instead
    assert before is not None
    assert last_at(before.events) == T0
    assert calls == [case.version]


def test_reading_a_history_backwards_loads_the_stored_events_only_when_it_reaches_them() -> None:
    case = latte.acknowledge(latte.open_case("c1", _feedback(), at=T0), at=T0, by="amy")
    reads: list[int] = []

    def load() -> tuple[Event, ...]:
        reads.append(1)
        return tuple(case.events)

    stored = History(load, len(case.events))
    thanked = latte.thank(latte.take_action(case, at=T0, by="amy", summary="x"), at=T0, by="amy")
    more = stored.plus(thanked.events[-2]).plus(thanked.events[-1])
    backwards = reversed(more)
    assert [next(backwards), next(backwards)] == list(reversed(thanked.events[-2:]))
    assert not reads
    assert not more.loaded
    assert list(backwards) == list(reversed(case.events))
    assert reads == [1]
    assert more.loaded
    assert stored.loaded  # they share the stored events
    assert list(reversed(more)) == list(reversed(thanked.events))
