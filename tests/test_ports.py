"""The storage roles in ``closedloop.ports``: every shipped store plays each, and
``CaseStore`` is exactly their composition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from closedloop import ports
from closedloop.adapters.sqlite import SQLiteStore
from closedloop.ports import (
    CaseStorage,
    CaseStore,
    CustomerStorage,
    ErasureStorage,
    InvitationStorage,
    OutboxStorage,
    UnitOfWork,
)
from closedloop.testing import InMemoryStore
from tests.adapters.postgres_support import drop_schema, dsn_or_skip, new_schema

ROLES: list[type] = [
    UnitOfWork,
    CaseStorage,
    InvitationStorage,
    CustomerStorage,
    OutboxStorage,
    ErasureStorage,
]


def members(protocol: type) -> set[str]:
    """The public methods and properties a protocol declares, its bases' included."""
    return {
        name
        for cls in protocol.__mro__
        if cls not in (Protocol, object) and cls.__module__ != "typing"
        for name in vars(cls)
        if not name.startswith("_")
    }


def test_case_store_is_exactly_the_union_of_the_roles() -> None:
    assert {name for name in vars(CaseStore) if not name.startswith("_")} == set()
    assert members(CaseStore) == set().union(*(members(role) for role in ROLES))
    assert set(CaseStore.__mro__[1 : len(ROLES) + 1]) == set(ROLES)


def test_each_method_belongs_to_one_role() -> None:
    every = [name for role in ROLES for name in members(role)]
    assert len(every) == len(set(every))


def test_the_roles_are_exported() -> None:
    assert {role.__name__ for role in ROLES} <= set(ports.__all__)
    assert all(getattr(ports, name) is not None for name in ports.__all__)


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Iterator[SQLiteStore]:
    with SQLiteStore(tmp_path / "roles.db") as store:
        yield store


@pytest.mark.parametrize("role", [*ROLES, CaseStore], ids=lambda r: r.__name__)
def test_the_in_memory_store_plays_every_role(role: type) -> None:
    assert isinstance(InMemoryStore(), role)


@pytest.mark.parametrize("role", [*ROLES, CaseStore], ids=lambda r: r.__name__)
def test_the_sqlite_store_plays_every_role(role: type, sqlite_store: SQLiteStore) -> None:
    assert isinstance(sqlite_store, role)


@pytest.fixture(scope="module")
def postgres_store() -> Iterator[object]:
    from closedloop.adapters.postgres import PostgresStore

    dsn = dsn_or_skip()
    schema = new_schema()
    store = PostgresStore(dsn, schema=schema)
    try:
        yield store
    finally:
        store.close()
        drop_schema(dsn, schema)


@pytest.mark.postgres
@pytest.mark.parametrize("role", [*ROLES, CaseStore], ids=lambda r: r.__name__)
def test_the_postgres_store_plays_every_role(role: type, postgres_store: object) -> None:
    assert isinstance(postgres_store, role)
