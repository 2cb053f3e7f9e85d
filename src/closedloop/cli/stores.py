"""Which database a command opens, and which of its tenants it works on: ``--db FILE``
(SQLite) or ``--dsn`` (PostgreSQL, also from ``CLOSEDLOOP_DSN``) with ``--schema``, and
``--tenant NAME`` or ``--all-tenants``."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from closedloop.ports import CaseStore

__all__ = [
    "DSN_VARIABLE",
    "add_store_options",
    "add_tenant_options",
    "check_store_options",
    "checked_tenant",
    "opened",
    "tenants_of",
]

#: The environment variable naming the PostgreSQL database when ``--dsn`` is not given.
DSN_VARIABLE = "CLOSEDLOOP_DSN"


def add_store_options(command: argparse.ArgumentParser) -> None:
    """``--db``, ``--dsn`` and ``--schema``."""
    where = command.add_argument_group(
        "database", f"give --db FILE (SQLite) or --dsn DSN (PostgreSQL; or set {DSN_VARIABLE})"
    )
    which = where.add_mutually_exclusive_group()
    which.add_argument("--db", type=Path, metavar="FILE", help="the SQLite database file")
    which.add_argument(
        "--dsn",
        metavar="DSN",
        help=f"the PostgreSQL database, e.g. postgresql://app@db/crm (default: ${DSN_VARIABLE})",
    )
    where.add_argument(
        "--schema",
        metavar="NAME",
        help="the PostgreSQL schema of closedloop's tables (default closedloop; --dsn only)",
    )


def add_tenant_options(command: argparse.ArgumentParser) -> None:
    """``--tenant NAME`` or ``--all-tenants``."""
    who = command.add_mutually_exclusive_group()
    who.add_argument(
        "--tenant",
        metavar="NAME",
        help="the tenant to work on (default: the default tenant); one the database holds "
        "nothing of is refused by health, report and facts, and noted by sweep and dispatch",
    )
    who.add_argument(
        "--all-tenants",
        action="store_true",
        help="work on every tenant the database holds, one after another",
    )


def check_store_options(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    """Refuse, as a usage error, a command given no database at all."""
    if getattr(args, "db", None) is None and not _dsn(args):
        parser.error(f"give --db FILE or --dsn DSN (or set {DSN_VARIABLE})")
    if getattr(args, "db", None) is not None and getattr(args, "schema", None) is not None:
        parser.error("--schema is for a PostgreSQL database (--dsn); a --db file has none")


def _dsn(args: argparse.Namespace) -> str | None:
    if getattr(args, "db", None) is not None:
        return None
    return getattr(args, "dsn", None) or os.environ.get(DSN_VARIABLE) or None


@contextmanager
def opened(args: argparse.Namespace) -> Iterator[CaseStore]:
    """The database the arguments name, closed when the block ends: a SQLite file that must
    already be a closedloop database, or a PostgreSQL schema that must already be at this
    closedloop's version (the command line never creates or migrates one)."""
    from closedloop.cli.inputs import open_store

    dsn = _dsn(args)
    if dsn is None:
        with open_store(args.db) as store:
            yield store
        return
    with _postgres(dsn, args.schema or "closedloop") as postgres:
        yield postgres


@contextmanager
def _postgres(dsn: str, schema: str) -> Iterator[CaseStore]:
    from closedloop import SchemaVersionError, StorageError, ValidationError

    try:
        from closedloop.adapters.postgres import SCHEMA_VERSION, PostgresStore

        store = PostgresStore(dsn, schema=schema, migrate=False, max_connections=2)
    except ImportError as exc:
        raise StorageError(f"--dsn needs PostgreSQL support: {exc}") from None
    except ValidationError as exc:
        raise ValidationError.of("--schema", f"--schema: {exc}") from None
    with store:
        found = store.schema_version()
        if found > SCHEMA_VERSION:
            raise SchemaVersionError(found, SCHEMA_VERSION)
        if found == 0:
            raise StorageError(
                f"no closedloop schema {schema!r} in that database; give the --schema your "
                "application's PostgresStore uses, or create it with PostgresStore.migrate()"
            )
        if found < SCHEMA_VERSION:
            raise StorageError(
                f"the closedloop schema {schema!r} is at version {found}, older than this "
                f"closedloop's {SCHEMA_VERSION}: migrate it first (PostgresStore.migrate())"
            )
        yield store


def tenants_of(store: CaseStore, args: argparse.Namespace) -> list[CaseStore]:
    """The store bound to each tenant the arguments name, in order: ``--tenant``'s, every
    tenant the database holds for ``--all-tenants``, or the store as it is."""
    from closedloop import ValidationError
    from closedloop.ports import StoreOverview

    if getattr(args, "all_tenants", False):
        if not isinstance(store, StoreOverview):
            raise ValidationError.of(
                "--all-tenants", "this database cannot list its tenants; give --tenant NAME"
            )
        return [store.for_tenant(tenant) for tenant in store.tenants()]
    tenant = checked_tenant(args)
    check_known(store, tenant, args.command)
    return [store] if tenant is None else [store.for_tenant(tenant)]


def check_known(
    store: CaseStore, tenant: str | None, command: str, *, all_tenants: bool = True
) -> None:
    """Refuse (``health``, ``report``, ``facts``) or note on stderr (``sweep``,
    ``dispatch``) a tenant the database holds nothing of: ``tenant`` if given (most often a
    misspelling), else the store's own when the database holds only other tenants'."""
    from closedloop.ports import StoreOverview

    if not isinstance(store, StoreOverview):
        return
    known = store.tenants()
    if tenant is not None:
        _known(tenant, known, command, given=True, all_tenants=all_tenants)
    elif known and store.tenant not in known:
        _known(store.tenant, known, command, given=False, all_tenants=all_tenants)


#: The commands that may run on a tenant the database holds nothing of yet: a new tenant's
#: cron jobs, set up before its first case, have nothing to do and say so.
_MAY_BE_NEW = frozenset({"sweep", "dispatch"})


def _known(
    tenant: str, known: Sequence[str], command: str, *, given: bool, all_tenants: bool
) -> None:
    import sys

    from closedloop import ValidationError

    if tenant in known:
        return
    listed = ", ".join(repr(name) for name in known) if known else "none yet"
    if command in _MAY_BE_NEW:
        print(
            f"closedloop {command}: note: the database holds nothing of tenant "
            f"{tenant!r} yet (its tenants: {listed})",
            file=sys.stderr,
        )
        return
    advice = "check the spelling" if given else "give --tenant NAME"
    advice += ", or give --all-tenants" if all_tenants else ""
    raise ValidationError.of(
        "--tenant", f"the database holds no tenant {tenant!r} (its tenants: {listed}); {advice}"
    )


def checked_tenant(args: argparse.Namespace) -> str | None:
    """``--tenant``, if given, checked before any database is opened."""
    from closedloop import ValidationError
    from closedloop.adapters.common import check_tenant

    tenant = getattr(args, "tenant", None)
    if tenant is None:
        return None
    try:
        return check_tenant(tenant)
    except ValidationError as exc:
        raise ValidationError.of("--tenant", f"--tenant: {exc}") from None
