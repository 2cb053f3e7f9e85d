"""A case's history read on demand: the events a store has, loaded the first time they are
needed, followed by the events added since the case was read.

A store hands :class:`History` a loader (a plain callable: the domain does no I/O of its
own), so reading a case costs the same however long its history is.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import overload

from closedloop.domain.cases.events import Event
from closedloop.domain.errors import StorageError

__all__ = ["History", "Kept", "appended", "last_at"]


class _Once:
    """A loader that loads once: shared by a history and the histories appended from it
    (a step's preview and its result), so that only the first of them reads the store."""

    __slots__ = ("_events", "_load")

    def __init__(self, load: Callable[[], Sequence[Event]]) -> None:
        self._load = load
        self._events: tuple[Event, ...] | None = None

    @property
    def done(self) -> bool:
        """Whether the events have been loaded."""
        return self._events is not None

    def __call__(self) -> tuple[Event, ...]:
        if self._events is None:
            self._events = tuple(self._load())
        return self._events


class Kept:
    """What a store kept beside a case's stored events, for the domain functions that would
    otherwise read them (a report's facts so far: opaque here), and the case as read
    (``base``) once a step was taken from it: what the kept value continues. (The case as
    read does not point at itself: no reference cycle.)"""

    __slots__ = ("_read", "base")

    def __init__(self, read: Callable[[], object], base: object = None) -> None:
        self._read = read if isinstance(read, _OnceValue) else _OnceValue(read)
        self.base = base

    @property
    def value(self) -> object:
        """The kept value, read (by the store's function) the first time it is asked for."""
        return self._read()

    def stepped_from(self, base: object) -> Kept:
        """The same kept value, continued by the cases stepped from ``base``."""
        return Kept(self._read, base)


class _OnceValue:
    __slots__ = ("_done", "_read", "_value")

    def __init__(self, read: Callable[[], object]) -> None:
        self._read = read
        self._value: object = None
        self._done = False

    def __call__(self) -> object:
        if not self._done:
            self._value, self._done = self._read(), True
        return self._value


class History(Sequence[Event]):
    """An immutable sequence of events whose first ``stored`` are loaded by ``load`` when
    first needed (once), followed by ``added``. Equal to any sequence of the same events;
    appending (:func:`appended`) or slicing past the stored part loads nothing, and the
    histories appended from one load its stored part once between them.
    ``stored_last_at``: the time of the last stored event, if known (then :func:`last_at`
    loads nothing either)."""

    __slots__ = ("_added", "_events", "_load", "_stored", "_stored_last_at", "kept")

    def __init__(
        self,
        load: Callable[[], Sequence[Event]],
        stored: int,
        stored_last_at: datetime | None = None,
        added: tuple[Event, ...] = (),
        kept: Kept | None = None,
    ) -> None:
        self._load = load if isinstance(load, _Once) else _Once(load)
        self._stored = stored
        self._added = added
        self._stored_last_at = stored_last_at
        self._events: tuple[Event, ...] | None = None
        self.kept = kept
        """What the store kept beside the stored events, if anything."""

    @property
    def loaded(self) -> bool:
        """Whether the stored events have been read (by this history or another sharing
        them: the case's as read, or one appended from it)."""
        return self._events is not None or self._load.done

    def _all(self) -> tuple[Event, ...]:
        events = self._events
        if events is None:
            stored = tuple(self._load())
            if len(stored) != self._stored:
                raise StorageError(
                    f"a case's history holds {len(stored)} events where {self._stored} "
                    "were expected"
                )
            events = self._events = stored + self._added
        return events

    def plus(self, event: Event, owner: object = None) -> History:
        """This history with ``event`` at the end, sharing (not loading) the stored part.
        ``owner``: the case this history belongs to; the first step from the case as read
        makes it the ``base`` of what the store kept."""
        kept = self.kept
        if kept is not None and kept.base is None and not self._added and owner is not None:
            kept = kept.stepped_from(owner)
        more = History(self._load, self._stored, self._stored_last_at, (*self._added, event), kept)
        if self._events is not None:
            more._events = (*self._events, event)
        return more

    @property
    def last_at(self) -> datetime:
        """The time of the last event (loading the stored ones only if it is not known)."""
        if self._added:
            return self._added[-1].at
        if self._stored_last_at is not None and self._events is None:
            return self._stored_last_at
        return self._all()[-1].at

    def __len__(self) -> int:
        return self._stored + len(self._added)

    @overload
    def __getitem__(self, index: int) -> Event: ...
    @overload
    def __getitem__(self, index: slice) -> tuple[Event, ...]: ...
    def __getitem__(self, index: int | slice) -> Event | tuple[Event, ...]:
        if self._events is None:  # the events added since the read need no loading
            stored, added = self._stored, self._added
            if isinstance(index, slice):
                start, stop, step = index.indices(len(self))
                if step == 1 and start >= stored:
                    return added[start - stored : stop - stored]
            elif index >= stored:
                return added[index - stored]
            elif -len(added) <= index < 0:
                return added[index]
        return self._all()[index]

    def __iter__(self) -> Iterator[Event]:
        return iter(self._all())

    def __reversed__(self) -> Iterator[Event]:
        # The events added since the read first: a search for the latest of a kind (the
        # last escalation, the last acknowledgement) loads the stored ones only if needed.
        if self._events is not None:
            yield from reversed(self._events)
            return
        yield from reversed(self._added)
        yield from reversed(self._all()[: self._stored])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Sequence) or isinstance(other, str | bytes):
            return NotImplemented
        return len(self) == len(other) and self._all() == tuple(other)

    def __hash__(self) -> int:
        return hash(self._all())

    def __reduce__(self) -> tuple[type[tuple[Event, ...]], tuple[tuple[Event, ...]]]:
        # Pickled or copied, a history is the plain tuple of its events (its loader may hold
        # a database connection).
        return tuple, (self._all(),)

    def __repr__(self) -> str:
        return repr(self._all()) if self._events is not None else f"<History of {len(self)}>"


def appended(events: Sequence[Event], event: Event, owner: object = None) -> Sequence[Event]:
    """``events`` with ``event`` at the end, without loading a :class:`History`
    (``owner``: the case they are the history of; see :meth:`History.plus`)."""
    if isinstance(events, History):
        return events.plus(event, owner)
    return (*events, event)


def last_at(events: Sequence[Event]) -> datetime:
    """The time of the last of ``events`` (a case's latest instant), without loading a
    :class:`History` whose last stored time is known."""
    if isinstance(events, History):
        return events.last_at
    return events[-1].at
