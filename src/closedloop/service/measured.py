"""What the Desk remembers between commits to make a case's report facts cheaply: how far
each recently committed case's steps were measured (a
:class:`~closedloop.domain.reports.measure.Progress`), so the next commit measures only its
new events. Entries are added after the store committed, and checked against the case's
history before use, so a forgotten or mistaken entry costs time, never a wrong figure."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable

from closedloop.domain.reports.measure import Progress

__all__ = ["Measured"]


class Measured:
    """The progress of the ``size`` cases committed last (by case id), for every thread."""

    def __init__(self, size: int = 4096) -> None:
        self._size = size
        self._lock = threading.Lock()
        self._found: OrderedDict[str, Progress] = OrderedDict()

    def of(self, case_id: str) -> Progress | None:
        """The progress remembered for ``case_id``, if any."""
        with self._lock:
            return self._found.get(case_id)

    def remember(self, progress: Iterable[Progress]) -> None:
        """Keep each committed case's progress, forgetting the least recent beyond size."""
        with self._lock:
            for p in progress:
                self._found[p.state.id] = p
                self._found.move_to_end(p.state.id)
            while len(self._found) > self._size:
                self._found.popitem(last=False)
