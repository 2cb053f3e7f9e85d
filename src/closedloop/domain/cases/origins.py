"""Tags on a case that are not events: where it came from (:class:`Origin`) and what its root
cause does to customers (:class:`Kano`). Re-exported by ``closedloop.domain.cases.events``."""

from __future__ import annotations

import enum

import attrs

__all__ = ["Kano", "Origin", "OriginKind"]


class Kano(enum.Enum):
    """What a root cause does to customers, after Kano: its absence angers them
    (``DISSATISFIER``, a must-be), more of it pleases them in proportion (``SATISFIER``),
    or it delights when present and is not missed when absent (``DELIGHTER``)."""

    DELIGHTER = "delighter"
    """Delights when present, not missed when absent."""
    SATISFIER = "satisfier"
    """Pleases in proportion to how much of it there is."""
    DISSATISFIER = "dissatisfier"
    """A must-be: its absence angers customers."""


class OriginKind(enum.Enum):
    """Why closedloop itself opened a case."""

    RECOVERY = "recovery"
    """A low survey score or a ticked "contact me"."""
    FOLLOW_UP = "follow_up"
    """The customer wrote again after the reopen window."""
    SPLIT = "split"
    """Messages split off another case (``case_id``) onto a matter of their own."""


@attrs.frozen
class Origin:
    """Where a case came from, when it was not plain feedback: the kind, the case it
    follows up (if any) and the survey invitation behind it (if any)."""

    kind: OriginKind
    """Why closedloop opened the case."""
    case_id: str | None = None
    """The case this one follows up or was split from, if any."""
    invitation_id: str | None = None
    """The survey invitation whose answer opened it, if any."""
