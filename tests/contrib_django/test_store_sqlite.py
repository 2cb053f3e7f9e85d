"""DjangoStore on Django's SQLite backend passes the storage conformance kit, and keeps
SQLiteStore's guarantees across processes."""

from __future__ import annotations

from typing import ClassVar

import pytest

from closedloop.testing.conformance import Capabilities, CaseStoreContract
from tests.contrib_django.conftest import empty_tables


class TestDjangoSQLiteStore(CaseStoreContract):
    capabilities: ClassVar[Capabilities] = Capabilities(concurrent_writers=True, persistent=True)

    @pytest.fixture(autouse=True)
    def _database(self, sqlite_db: str) -> None:
        self.alias = sqlite_db

    def make_store(self):  # type: ignore[no-untyped-def]
        from closedloop.contrib.django import DjangoStore

        empty_tables(self.alias)
        return DjangoStore(self.alias)

    def reopen(self, store):  # type: ignore[no-untyped-def]
        from closedloop.contrib.django import DjangoStore

        return DjangoStore(self.alias, tenant=store.tenant)
