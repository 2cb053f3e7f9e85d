"""The connections a PostgresStore opens from a DSN or a function: threads share a bounded
set and give them back when each call ends, counted on the server in pg_stat_activity."""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest

from closedloop import Desk, PostgresStore, ValidationError
from closedloop.testing import ManualClock, RecordingNotifier
from tests.helpers import START, in_threads, make_feedback

pytestmark = pytest.mark.postgres


@pytest.fixture
def app_name() -> str:
    return f"closedloop-test-{uuid.uuid4().hex[:12]}"


def backends(dsn: str, app_name: str) -> int:
    """This store's connections, as the server sees them."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s", (app_name,)
        ).fetchone()
    assert row is not None
    return int(row[0])


def named(dsn: str, app_name: str) -> str:
    from psycopg.conninfo import make_conninfo

    return make_conninfo(dsn, application_name=app_name)


def sources(dsn: str, app_name: str) -> dict[str, Any]:
    import psycopg

    return {
        "dsn": named(dsn, app_name),
        "function": lambda: psycopg.connect(named(dsn, app_name)),
    }


@pytest.mark.parametrize("kind", ["dsn", "function"])
def test_sixty_short_threads_leave_at_most_the_bound_open(
    dsn: str, schema: str, app_name: str, kind: str
) -> None:
    store = PostgresStore(sources(dsn, app_name)[kind], schema=schema, max_connections=4)
    desk = Desk(store, RecordingNotifier(), clock=ManualClock(START))
    try:
        ids: list[str] = []

        def work(n: int) -> None:
            case = desk.listen(make_feedback(customer=f"c{n}@example.com"))
            desk.acknowledge(case.id, by="amy")
            ids.append(case.id)

        in_threads(60, work)
        assert len(ids) == 60
        open_now = backends(dsn, app_name)
        assert 1 <= open_now <= 4
        for case_id in ids:  # one thread, many calls: the same connections again
            store.get(case_id)
        assert backends(dsn, app_name) == open_now
    finally:
        store.close()


def test_a_tenant_view_shares_the_connections_and_close_closes_them(
    dsn: str, schema: str, app_name: str
) -> None:
    store = PostgresStore(named(dsn, app_name), schema=schema, max_connections=2)
    acme = store.for_tenant("acme")
    found = in_threads(20, lambda n: (store if n % 2 else acme).cases_of("x@example.com"))
    assert found == [[]] * 20
    assert 1 <= backends(dsn, app_name) <= 2
    store.close()
    # A closed connection's backend ends once the server has read the goodbye; wait for it.
    for _ in range(200):
        if backends(dsn, app_name) == 0:
            break
        threading.Event().wait(0.05)
    assert backends(dsn, app_name) == 0
    assert acme.cases_of("x@example.com") == []  # usable again: it opens a new one
    store.close()


@pytest.mark.parametrize("bad", [0, -1, 2.5, True, "10"])
def test_a_bound_that_cannot_work_is_refused(dsn: str, bad: Any) -> None:
    with pytest.raises(ValidationError, match="max_connections"):
        PostgresStore(dsn, max_connections=bad)
