"""The PostgreSQL outbox's commit order: messages of one instant go out in the order they
were committed (R7), by a sequence number SQLite has as its rowid."""

from __future__ import annotations

from typing import Final

__all__ = ["OUTBOX_ORDER"]

#: The migration step numbering outbox messages as they are inserted; ``{s}`` is the schema.
#: Rows already stored are numbered in an order of PostgreSQL's choosing.
OUTBOX_ORDER: Final[tuple[str, ...]] = ("ALTER TABLE {s}.outbox ADD COLUMN seq bigserial",)
