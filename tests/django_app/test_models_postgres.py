"""The models read closedloop's tables on PostgreSQL too, in their ``closedloop`` schema:
the same columns, booleans and times as on SQLite, through ``Model.objects`` when
``CLOSEDLOOP["USING"]`` names the database, with no call of the admin's first."""

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
    [row] = Case.all_tenants.using(pg).filter(tenant="pg-models")
    assert (row.id, row.customer, row.version) == (case.id, "mary@example.com", 2)
    assert row.acknowledged is True
    assert row.closed is False
    assert row.opened_at == START
    [dead] = DeadLetter.all_tenants.using(pg).filter(tenant="pg-models")
    assert (dead.key, dead.purpose, dead.to) == (key, "acknowledgement", "mary@example.com")
    assert "no address for this customer" in (dead.last_error or "")
    assert OutboxMessage.all_tenants.using(pg).filter(tenant="pg-models").count() == 1


def test_the_default_managers_read_the_configured_database_and_tenant(pg: str) -> None:
    from django.db import connections
    from django.test import override_settings

    from closedloop.contrib.django.models import Case, Invitation, OutboxMessage, tables_for

    tables_for("default")  # as a fresh process has them, before anything ran on PostgreSQL
    dsn = str(connections.settings[pg]["DSN"])
    for tenant in ("pg-mine", "pg-theirs"):
        with PostgresStore(dsn, tenant=tenant) as store:
            desk = Desk(store, Nowhere(), clock=ManualClock(START))
            desk.acknowledge(desk.listen(make_feedback()).id, by="amy")
    with override_settings(CLOSEDLOOP={"USING": pg, "TENANT": "pg-mine"}):
        assert Case.objects.count() == 1
        [case] = Case.objects.all()
        assert case.tenant == "pg-mine"
        assert OutboxMessage.objects.count() == 1
        assert Invitation.objects.count() == 0
        assert Case.all_tenants.count() == 2
        assert sorted(Case.all_tenants.values_list("tenant", flat=True)) == [
            "pg-mine",
            "pg-theirs",
        ]
        assert Case.objects.using("default").filter(tenant="pg-mine").count() == 0  # SQLite
        assert Case.objects.using(pg).count() == 1  # and back


def test_a_query_built_for_one_vendor_is_not_moved_to_another(pg: str) -> None:
    from closedloop import ValidationError
    from closedloop.contrib.django.models import Case

    built = Case.all_tenants.using("default").filter(tenant="pg-mine")
    with pytest.raises(ValidationError, match=r"start from Case\.objects\.using\('djapp_pg'\)"):
        built.using(pg)
    assert built.count() == 0  # still SQLite's query, and still runs
