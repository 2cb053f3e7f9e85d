"""The admin's models read closedloop's tables on PostgreSQL too, in their ``closedloop``
schema: the same columns, booleans and times as on SQLite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from closedloop import Desk, PostgresStore, UndeliverableError
from closedloop.domain.outbox.notification import Notification
from closedloop.testing import ManualClock
from tests.helpers import START, make_feedback

pytestmark = pytest.mark.postgres


class Nowhere:
    """A notifier that cannot deliver anything: every message is a dead letter at once."""

    def send(self, notification: Notification) -> None:
        raise UndeliverableError(notification.key, "no address for this customer")


@pytest.fixture
def pg_tables(pg: str) -> Iterator[str]:
    """The models pointed at closedloop's tables in the test's PostgreSQL database, and back
    at the default database afterwards; its DSN."""
    from django.db import connections

    from closedloop.contrib.django.models import tables_for

    tables_for(pg)
    yield str(connections.settings[pg]["DSN"])
    tables_for("default")


def test_cases_outbox_and_dead_letters_are_read_from_the_closedloop_schema(
    pg: str, pg_tables: str
) -> None:
    from closedloop.contrib.django.models import Case, DeadLetter, OutboxMessage

    with PostgresStore(pg_tables, tenant="pg-models") as store:
        desk = Desk(store, Nowhere(), clock=ManualClock(START))
        case = desk.listen(make_feedback())
        desk.acknowledge(case.id, by="amy")
        [key] = desk.outbox.dispatch().dead
    [row] = Case.objects.using(pg).filter(tenant="pg-models")
    assert (row.id, row.customer, row.version) == (case.id, "mary@example.com", 2)
    assert row.acknowledged is True
    assert row.closed is False
    assert row.opened_at == START
    [dead] = DeadLetter.objects.using(pg).filter(tenant="pg-models")
    assert (dead.key, dead.purpose, dead.to) == (key, "acknowledgement", "mary@example.com")
    assert "no address for this customer" in (dead.last_error or "")
    assert OutboxMessage.objects.using(pg).filter(tenant="pg-models").count() == 1
