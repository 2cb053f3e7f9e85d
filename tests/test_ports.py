"""The storage roles in ``closedloop.ports``: every shipped store plays each, and
``CaseStore`` is exactly their composition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

import pytest

from closedloop import SQLiteStore, ports
from closedloop.ports import CaseStore
from closedloop.testing import InMemoryStore
from tests.adapters.postgres_support import dsn_or_skip, new_schema

ROLES: list[type] = [base for base in CaseStore.__bases__ if base is not Protocol]
NAMES = "UnitOfWork CaseStorage InvitationStorage CustomerStorage OutboxStorage ErasureStorage"


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
    assert [role.__name__ for role in ROLES] == NAMES.split()
    assert {name for name in vars(CaseStore) if not name.startswith("_")} == set()
    assert members(CaseStore) == set().union(*(members(role) for role in ROLES))


def test_each_method_belongs_to_one_role() -> None:
    every = [name for role in ROLES for name in members(role)]
    assert len(every) == len(set(every))


def test_the_roles_are_exported() -> None:
    assert all(getattr(ports, role.__name__) is role for role in ROLES)
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


@pytest.mark.postgres
@pytest.mark.parametrize("role", [*ROLES, CaseStore], ids=lambda r: r.__name__)
def test_the_postgres_store_plays_every_role(role: type) -> None:
    from closedloop import PostgresStore

    # It connects on first use, so checking its methods creates no schema.
    with PostgresStore(dsn_or_skip(), schema=new_schema()) as store:
        assert isinstance(store, role)
