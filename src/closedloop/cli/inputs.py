"""What the ``closedloop`` commands are given, checked before any of them opens a database:
times, the application's policy and notifier, and the database file itself. Each refusal is
a closedloop error with one line to say what to give instead."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from closedloop import Policy, SQLiteStore, Subscribe
    from closedloop.ports import Clock, Notifier

__all__ = [
    "EARLIEST",
    "LATEST",
    "FixedClock",
    "clock_from",
    "events_from",
    "events_of",
    "load_events",
    "load_notifier",
    "load_object",
    "load_policy",
    "notifier_from",
    "open_store",
    "policy_from",
    "when",
    "writable",
]

#: The times the commands take: wide of any real run, with room on both sides for what is
#: computed from them (a 30-day report period, deadlines, retries) to stay in datetime's range.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(3000, 1, 1, tzinfo=UTC)  # closedloop takes years to 2999

_NAME = re.compile(r"[A-Za-z_]\w*(\.[A-Za-z_]\w*)*", re.ASCII)


class FixedClock:
    """The instant given by ``--now``."""

    def __init__(self, instant: datetime) -> None:
        self._instant = instant

    def now(self) -> datetime:
        return self._instant


def clock_from(text: str | None) -> Clock | None:
    """``--now`` as a clock, or None for the system clock."""
    return FixedClock(when(text, "--now")) if text else None


def when(text: str, option: str) -> datetime:
    """The time ``option`` names: YYYY-MM-DD (UTC midnight) or ISO 8601 with a zone, from
    1970 to 2999."""
    from closedloop import ValidationError

    try:
        if len(text) == 10:
            value = datetime.combine(date.fromisoformat(text), datetime.min.time(), UTC)
        else:
            value = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationError.of(
            option,
            f"{option} {text!r} is not a date: give YYYY-MM-DD or an ISO 8601 time with a zone",
        ) from None
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError.of(
            option, f"{option} {text!r} has no time zone: add one, e.g. {text}+00:00"
        )
    return _in_range(value, option, text)


def _in_range(value: datetime, option: str, text: str) -> datetime:
    from closedloop import ValidationError

    if not EARLIEST <= value < LATEST:
        raise ValidationError.of(
            option,
            f"{option} {text!r} is out of range: give a time from {EARLIEST.year} "
            f"to {LATEST.year - 1}",
        )
    return value


def writable(path: Path, option: str, field: str | None = None) -> Path:
    """A file ``option`` may write: its folder exists and it is not a folder itself.
    (``field``: the option it comes from, if ``option`` names no option itself.)"""
    from closedloop import ValidationError

    field = field or option
    if path.is_dir():
        raise ValidationError.of(field, f"{option} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise ValidationError.of(
            field, f"cannot write {path}: the folder {path.parent} does not exist"
        )
    return path


def load_object(spec: str, what: str, default: str = "") -> object:
    """The attribute named by ``module:attribute`` (the module importable from here)."""
    import importlib

    from closedloop import ValidationError

    option = f"--{what}"  # --policy, --notifier
    module_name, _, attribute = spec.partition(":")
    if not attribute and not default:
        raise ValidationError.of(option, f"name the {what} as MODULE:NAME, got {spec!r}")
    if not _NAME.fullmatch(module_name) or (attribute and not _NAME.fullmatch(attribute)):
        raise ValidationError.of(
            option,
            f"name the {what} as MODULE:NAME with a dotted module path importable from here "
            f"(e.g. myapp.support:POLICY), got {spec!r}",
        )
    try:
        found: object = importlib.import_module(module_name)
        for part in (attribute or default).split("."):
            found = getattr(found, part)
    except Exception as exc:  # the host's module may fail any way while it is imported
        hint = ""
        if not attribute and "." in module_name:  # a Python-style dotted path
            module, _, name = module_name.rpartition(".")
            hint = f"; to name {name} in the module {module}, write {module}:{name}"
        raise ValidationError.of(
            option, f"cannot load the {what} {spec!r}: {type(exc).__name__}: {exc}{hint}"
        ) from None
    return found


def load_policy(spec: str) -> Policy:
    """The Policy object named ``module:attribute``."""
    return policy_from(load_object(spec, "policy", default="POLICY"), repr(spec))


def policy_from(found: object, label: str) -> Policy:
    """``found`` if it is a Policy, else a clear error naming it as ``label``."""
    from closedloop import Policy, ValidationError

    if not isinstance(found, Policy):
        raise ValidationError.of(
            "--policy", f"{label} is a {type(found).__name__}, not a closedloop Policy"
        )
    return found


def load_notifier(spec: str) -> Notifier:
    """The Notifier named ``module:attribute``: the object, or what calling it (a function
    or a class) returns."""
    return notifier_from(load_object(spec, "notifier"), repr(spec))


def notifier_from(found: object, label: str) -> Notifier:
    """``found`` if it is a Notifier, or what calling it (a function or a class) returns;
    else a clear error naming it as ``label``."""
    from closedloop import ValidationError

    if callable(found) and (isinstance(found, type) or not _has_send(found)):
        try:
            found = found()
        except (Exception, SystemExit) as exc:
            raise ValidationError.of(
                "--notifier",
                f"calling {label} to make the notifier failed: {type(exc).__name__}: {exc}; "
                "give a Notifier object, or a function that takes no arguments and returns one",
            ) from None
    if not _has_send(found):
        raise ValidationError.of(
            "--notifier",
            f"{label} ({type(found).__name__}) is not a Notifier: give an object with a "
            "send(notification) method, or a function that returns one",
        )
    return cast("Notifier", found)


def load_events(spec: str) -> Subscribe:
    """The host event subscription named ``module:attribute``: a ``closedloop.Subscribe``
    as it is, or an event handler (an object with ``handle_event(event)``, or a function
    taking a HostEvent) wrapped in ``Subscribe(handler)``: every event type, no personal
    data."""
    return events_from(load_object(spec, "events"), repr(spec))


def events_from(found: object, label: str) -> Subscribe:
    """``found`` as a host event subscription (see :func:`load_events`), or a clear error
    naming it as ``label``."""
    from closedloop import EventHandler, Subscribe, ValidationError

    if isinstance(found, Subscribe):
        return found
    if isinstance(found, type):
        raise ValidationError.of(
            "--events",
            f"{label} is a class; give your application's Subscribe(...) object, or an "
            "object with handle_event(event), or a function taking a HostEvent",
        )
    if isinstance(found, EventHandler) or callable(found):
        return Subscribe(found)
    raise ValidationError.of(
        "--events",
        f"{label} ({type(found).__name__}) is not a closedloop Subscribe nor an event "
        "handler: give your application's Subscribe(...) object, or an object with "
        "handle_event(event), or a function taking a HostEvent",
    )


def events_of(notifier: Notifier) -> Subscribe | None:
    """``Subscribe(notifier)`` if the notifier also receives host events (it has
    ``handle_event``): every event type, no personal data; otherwise None."""
    from closedloop import EventHandler, Subscribe

    return Subscribe(notifier) if isinstance(notifier, EventHandler) else None


def _has_send(found: object) -> bool:
    return not isinstance(found, type) and callable(getattr(found, "send", None))


def open_store(db: Path) -> SQLiteStore:
    """An existing closedloop database; anything else is a clear error, never a new file
    or new tables written into someone else's database, nor a foreign file switched to WAL."""
    import sqlite3

    from closedloop import SchemaVersionError, SQLiteStore, StorageError
    from closedloop.adapters.sqlite.schema import SCHEMA_VERSION

    if not db.is_file():
        raise StorageError(f"no database at {db}; give the file your application writes to")
    side = [db.with_name(db.name + ending) for ending in ("-wal", "-shm")]
    before = {path for path in side if path.exists()}
    try:
        probe = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
        try:
            (version,) = probe.execute("PRAGMA user_version").fetchone()
            objects = set(probe.execute(_OBJECTS).fetchall())
        finally:
            probe.close()
    except sqlite3.Error as exc:
        if getattr(exc, "sqlite_errorname", "") in ("SQLITE_NOTADB", "SQLITE_CORRUPT"):
            for path in set(side) - before:  # what the probe of a WAL file's header made
                path.unlink(missing_ok=True)
        raise StorageError(
            f"{db} is not a SQLite database, or is damaged ({exc}); give the file your "
            "application writes to, or restore it from a backup"
        ) from None
    if version > SCHEMA_VERSION:
        raise SchemaVersionError(version, SCHEMA_VERSION)
    if not version or objects != _schema_objects(version):
        raise StorageError(
            f"{db} is a SQLite database but not a closedloop one; give the file your "
            "application's SQLiteStore writes to"
        )
    return SQLiteStore(db)


_OBJECTS = "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%'"


def _schema_objects(version: int) -> set[tuple[str, str, str]]:
    """The tables and indexes of a closedloop database at schema ``version``."""
    import sqlite3

    from closedloop.adapters.sqlite.schema import MIGRATIONS

    model = sqlite3.connect(":memory:")
    try:
        for step in MIGRATIONS[:version]:
            for statement in step:
                model.execute(statement)
        return set(model.execute(_OBJECTS).fetchall())
    finally:
        model.close()
