"""A progress bar on stderr for long work, drawn only when stderr is a terminal: a job run
from cron, or with stderr redirected, writes nothing."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

__all__ = ["Progress"]

_WIDTH = 24


class Progress:
    """One line redrawn in place: ``label [#####.......] 12/30 note``, or ``label 1200 note``
    when the total is not known. :meth:`done` ends the line."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self._label = label
        self._stream = stream if stream is not None else sys.stderr
        self._shown = False
        try:
            self.active = self._stream.isatty()
        except (AttributeError, ValueError):  # a closed or unusual stream
            self.active = False

    def update(self, count: int, total: int | None = None, note: str = "") -> None:
        """Show ``count`` (of ``total``) with ``note``."""
        if not self.active:
            return
        if total:
            filled = min(_WIDTH, _WIDTH * count // total)
            bar = f"[{'#' * filled}{'.' * (_WIDTH - filled)}] {count}/{total}"
        else:
            bar = str(count)
        line = f"{self._label} {bar} {note}".rstrip()
        self._write(f"\r{line}\x1b[K")
        self._shown = True

    def counter(self, note: str) -> Callable[[int], None]:
        """A callback showing each count it is given, with ``note``."""
        return lambda count: self.update(count, note=note)

    def done(self) -> None:
        """End the line, if one was drawn."""
        if self._shown:
            self._write("\n")
            self._shown = False

    def _write(self, text: str) -> None:
        try:
            self._stream.write(text)
            self._stream.flush()
        except (OSError, ValueError):  # the terminal went away: the work goes on
            self.active = False
