"""Reading survey invitations (the InvitationStorage role): by id, by customer, those with a
reminder or expiry due, and the answers received in a period. Invitations are written by
:mod:`~closedloop.adapters.postgres.unit_of_work`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime

from closedloop.adapters.common import check_instant, check_key, check_limit
from closedloop.adapters.postgres.connection import PAGE, PostgresBase
from closedloop.adapters.rows import load_invitation_body, skipping, us
from closedloop.domain.errors import InvitationNotFoundError
from closedloop.domain.surveys.invitation import Invitation

__all__ = ["PostgresInvitationStorage"]


class PostgresInvitationStorage(PostgresBase):
    """The invitation queries of a :class:`PostgresStore`."""

    def invitation(self, invitation_id: str) -> Invitation:
        """The invitation with this id; raises :class:`~closedloop.InvitationNotFoundError`."""
        check_key("invitation_id", invitation_id)
        rows = self._read(
            f"SELECT body FROM {self._s}.invitations WHERE tenant = %s AND id = %s",
            (self._tenant, invitation_id),
        )
        if not rows:
            raise InvitationNotFoundError(invitation_id)
        return load_invitation_body(rows[0][0], invitation_id)

    def invitations_of(self, customer: str) -> Sequence[Invitation]:
        """Every invitation of one customer, by ``created_at`` then id."""
        check_key("customer", customer)
        rows = self._read(
            f"SELECT body FROM {self._s}.invitations WHERE tenant = %s AND customer = %s"
            " ORDER BY created_us, id",
            (self._tenant, customer),
        )
        return skipping(lambda row: load_invitation_body(row[0]), rows)

    def invitations_due(self, before: datetime, limit: int = 100) -> Sequence[Invitation]:
        """Invitations with a reminder or expiry due before ``before``, earliest first."""
        check_limit(limit)
        rows = self._read(
            f"SELECT body FROM {self._s}.invitations WHERE tenant = %s AND due_us IS NOT NULL"
            " AND due_us < %s ORDER BY due_us, id LIMIT %s",
            (self._tenant, us(check_instant("before", before)), limit),
        )
        return skipping(lambda row: load_invitation_body(row[0]), rows)

    def responses(self, since: datetime, until: datetime) -> Iterator[Invitation]:
        """Invitations answered in ``[since, until)``, a page at a time."""
        low, high = us(check_instant("since", since)), us(check_instant("until", until))
        after: tuple[int, str] = (low - 1, "")
        while True:
            rows = self._read(
                f"SELECT answered_us, id, body FROM {self._s}.invitations WHERE tenant = %s"
                " AND answered_us >= %s AND answered_us < %s AND (answered_us, id) > (%s, %s)"
                " ORDER BY answered_us, id LIMIT %s",
                (self._tenant, low, high, *after, PAGE),
            )
            yield from skipping(lambda row: load_invitation_body(row[2], row[1]), rows)
            if len(rows) < PAGE:
                return
            after = (rows[-1][0], rows[-1][1])
