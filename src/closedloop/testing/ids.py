"""Predictable case ids for tests and examples."""

from __future__ import annotations

import itertools
import threading

__all__ = ["SequentialIds"]


class SequentialIds:
    """Ids ``case-1``, ``case-2``, ... for ``Desk(ids=SequentialIds())``: one counter for every
    id the Desk makes (cases, invitations, promises); thread-safe."""

    def __init__(self, prefix: str = "case-") -> None:
        self.prefix = prefix
        """What each id starts with (`"case-"`)."""
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def __call__(self) -> str:
        with self._lock:
            return f"{self.prefix}{next(self._counter)}"
