"""Making a DjangoStore: the vendors it runs on, the errors for others, what importing the
package costs, and erasure inside the host's transaction."""

from __future__ import annotations

import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from closedloop import ValidationError
from closedloop.domain.change import Change
from closedloop.domain.customers.erasure import Erasure
from closedloop.testing.conformance.base import T0, opened


def test_importing_the_package_imports_no_django() -> None:
    code = (
        "import sys, closedloop.contrib.django as c; "
        "assert 'django' not in sys.modules, sorted(m for m in sys.modules if 'django' in m); "
        "assert c.DjangoStore.__name__ == 'DjangoStore'"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_the_store_is_of_the_databases_vendor(sqlite_db: str) -> None:
    from closedloop.contrib.django import DjangoStore
    from closedloop.contrib.django.store_sqlite import DjangoSQLiteStore

    store = DjangoStore(sqlite_db, tenant="acme")
    assert isinstance(store, DjangoSQLiteStore)
    assert isinstance(store, DjangoStore)
    assert (store.using, store.tenant) == (sqlite_db, "acme")
    assert store.for_tenant("globex").tenant == "globex"
    assert repr(store) == "DjangoStore('default', tenant='acme')"


def test_a_vendor_closedloop_does_not_run_on_is_refused_by_name(django_project: None) -> None:
    from closedloop.contrib.django import DjangoStore

    with pytest.raises(ValidationError, match="'unknown'; closedloop runs on sqlite and") as info:
        DjangoStore("other")
    assert info.value.field == "using"


def test_a_database_not_in_the_settings_is_refused(django_project: None) -> None:
    from closedloop.contrib.django import DjangoStore

    with pytest.raises(ValidationError, match="no database 'replica'"):
        DjangoStore("replica")


def test_an_invalid_tenant_is_refused(sqlite_db: str) -> None:
    from closedloop.contrib.django import DjangoStore

    with pytest.raises(ValidationError):
        DjangoStore(sqlite_db, tenant="")


def test_an_erasure_in_a_rolled_back_block_erases_nothing_and_in_a_committed_one_all(
    sqlite_db: str,
) -> None:
    from django.db import connections, transaction

    from closedloop.contrib.django import DjangoStore

    store = DjangoStore(sqlite_db)
    store.commit(Change(opened("c1"), 0))
    erasure = Erasure(frozenset({"ann@example.com"}), "erased-1")

    def erase_then_fail() -> None:
        with transaction.atomic(using=sqlite_db):
            store.erase(erasure, T0 + timedelta(days=1))
            raise LookupError("the host's own failure")

    with pytest.raises(LookupError):
        erase_then_fail()
    assert store.get("c1").customer == "ann@example.com"
    with transaction.atomic(using=sqlite_db):
        assert store.erase(erasure, T0 + timedelta(days=1)) >= 1
    assert store.get("c1").customer == "erased-1"
    # The write-ahead log was checkpointed and emptied once the block committed.
    log = Path(f"{connections[sqlite_db].settings_dict['NAME']}-wal")
    assert log.exists()
    assert log.stat().st_size == 0


def test_an_erasure_whose_log_a_reader_holds_raises_when_the_host_block_commits(
    sqlite_db: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Inside the host's block the checkpoint waits for the commit; a reader of older pages
    then makes the block's exit raise ErasurePendingError (and log it), the erasure itself
    committed, and a checkpoint once the reader is done empties the log."""
    import sqlite3

    from django.db import connections, transaction

    from closedloop import ErasurePendingError
    from closedloop.contrib.django import DjangoStore

    store = DjangoStore(sqlite_db)
    store.commit(Change(opened("c1"), 0))
    name = str(connections[sqlite_db].settings_dict["NAME"])
    log = Path(f"{name}-wal")
    with connections[sqlite_db].cursor() as cursor:
        cursor.execute("PRAGMA busy_timeout")
        (timeout,) = cursor.fetchone()
        cursor.execute("PRAGMA busy_timeout = 100")  # the checkpoint waits this long
    reader = sqlite3.connect(name, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM events").fetchone()  # holds a snapshot
    try:
        with (
            pytest.raises(ErasurePendingError, match=r"call store\.checkpoint\(\)"),
            transaction.atomic(using=sqlite_db),
        ):
            store.erase(Erasure(frozenset({"ann@example.com"}), "erased-1"), T0)
        assert store.get("c1").customer == "erased-1"  # committed
        assert b"ann@example.com" in log.read_bytes()  # but still in the log
        assert "still reading older pages" in caplog.text
    finally:
        reader.execute("COMMIT")
        reader.close()
        with connections[sqlite_db].cursor() as cursor:
            cursor.execute(f"PRAGMA busy_timeout = {int(timeout)}")
    assert store.checkpoint() is True
    assert log.stat().st_size == 0


@pytest.mark.parametrize("alias", ["sqlite_db", pytest.param("pg_db", marks=pytest.mark.postgres)])
def test_flush_closedloop_empties_every_tenants_records_and_keeps_the_tables(
    alias: str, request: pytest.FixtureRequest
) -> None:
    from closedloop import CaseNotFoundError
    from closedloop.contrib.django import DjangoStore, flush_closedloop

    using: str = request.getfixturevalue(alias)
    acme, globex = DjangoStore(using, tenant="acme"), DjangoStore(using, tenant="globex")
    acme.commit(Change(opened("c1"), 0))
    globex.commit(Change(opened("c2"), 0))
    assert (acme.get("c1").id, globex.get("c2").id) == ("c1", "c2")
    flush_closedloop(using)
    for store, case_id in ((acme, "c1"), (globex, "c2")):
        with pytest.raises(CaseNotFoundError):
            store.get(case_id)
        assert store.outbox_ready(T0 + timedelta(days=365)) == []
    acme.commit(Change(opened("c1"), 0))  # the tables and schema version are intact
    assert acme.get("c1").id == "c1"


def test_flush_closedloop_refuses_a_vendor_closedloop_does_not_run_on(
    django_project: None,
) -> None:
    from closedloop.contrib.django import flush_closedloop

    with pytest.raises(ValidationError, match="'unknown'"):
        flush_closedloop("other")
