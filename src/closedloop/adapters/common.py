"""Helpers every store shares, so each adapter refuses bad input the same way.

Adapter authors may use them too: they are part of the public API.
"""

from __future__ import annotations

from collections.abc import Sequence

from closedloop.domain.change import Change, InvitationChange, Write
from closedloop.domain.checks import instant
from closedloop.domain.errors import ValidationError

__all__ = ["check_batch", "check_limit", "check_tenant", "instant", "split_batch"]


def check_tenant(tenant: object) -> str:
    """A tenant is a non-empty string."""
    if not isinstance(tenant, str) or not tenant.strip():
        raise ValidationError(f"tenant must be a non-empty string, got {tenant!r}")
    return tenant


def check_limit(limit: object) -> int:
    """A query limit is a positive whole number."""
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise ValidationError(f"limit must be a whole number of at least 1, got {limit!r}")
    return limit


def check_batch(changes: Sequence[Write]) -> None:
    """A batch changes each case and each invitation at most once (fold several steps
    into one change), and holds only :class:`Change` and :class:`InvitationChange`."""
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if isinstance(change, Change):
            key = ("case", change.case.id)
        elif isinstance(change, InvitationChange):
            key = ("invitation", change.invitation.id)
        else:
            raise ValidationError(
                f"a store commits Change and InvitationChange objects, got {change!r}"
            )
        if key in seen:
            raise ValidationError(
                f"a batch may change {key[0]} {key[1]!r} only once; "
                f"commit its latest state as one change"
            )
        seen.add(key)


def split_batch(changes: Sequence[Write]) -> tuple[list[Change], list[InvitationChange]]:
    """The case changes and the invitation changes of a batch, each in batch order."""
    cases = [c for c in changes if isinstance(c, Change)]
    invitations = [c for c in changes if isinstance(c, InvitationChange)]
    return cases, invitations
