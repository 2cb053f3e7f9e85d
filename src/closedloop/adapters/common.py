"""Argument checks every store shares, so each adapter refuses bad input the same way."""

from __future__ import annotations

from closedloop.domain.errors import ValidationError

__all__ = ["check_limit", "check_tenant"]


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
