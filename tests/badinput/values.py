"""Bad values: wrong types, unicode edges, huge sizes, extreme datetimes and durations."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from hypothesis import strategies as st

from closedloop import Channel, Feedback, Queue


def _zone_from_file() -> tzinfo:
    path = Path("/usr/share/zoneinfo/Europe/Berlin")
    if path.exists():
        with path.open("rb") as file:
            return ZoneInfo.from_file(file)
    return _Custom()


class _Custom(tzinfo):
    """A host's own zone: a fixed offset with a name, nothing a database knows."""

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=5, minutes=30)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return "Custom/Zone"


class _Naive(tzinfo):
    """A zone that does not know its offset: a naive datetime in disguise."""

    def utcoffset(self, dt: datetime | None) -> None:
        return None


class _KeyedSubclass(ZoneInfo):
    """A ZoneInfo subclass, as some libraries make."""


def _keyless_subclass() -> tzinfo:
    path = Path("/usr/share/zoneinfo/America/New_York")
    if path.exists():
        with path.open("rb") as file:
            return _KeyedSubclass.from_file(file, key="Not/A_Zone")
    return _Custom()


#: Every bad value, by a name that says what it is. Each goes into every argument.
BAD: dict[str, Any] = {
    "None": None,
    "zero": 0,
    "minus one": -1,
    "int": 123,
    "huge int": 10**20,
    "minus huge int": -(10**20),
    "float": 1.5,
    "nan": float("nan"),
    "inf": float("inf"),
    "True": True,
    "bytes": b"ann@example.com",
    "empty list": [],
    "list of str": ["a"],
    "list of None": [None],
    "list of huge int": [10**20],
    "dict": {"a": 1},
    "object": object(),
    "empty": "",
    "blank": "  \t\n",
    "lone surrogate": "\ud800",
    "surrogate in text": "ann\udcff@example.com",
    "NUL": "a\x00b",
    "RTL override": "\u202eevil\u202c",
    "RTL mark": "\u200f",
    "zero width": "\u200b",
    "3000 chars": "x" * 3000,
    "1000 emoji": "\U0001f600" * 1000,
    "1 MB": "y" * 1_000_000,
    "a channel": Channel.EMAIL,
    "an unknown channel": Channel.custom("carrier_pigeon"),
    "a queue": Queue.UNANSWERED,
    "a date": date(2026, 11, 23),
    "naive datetime": datetime(2026, 11, 23, 9, 0),
    "year 1 +05:00": datetime(1, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=5))),
    "year 1 UTC": datetime(1, 1, 1, tzinfo=UTC),
    "year 9999 -05:00": datetime(9999, 12, 31, 22, 0, tzinfo=timezone(timedelta(hours=-5))),
    "datetime.max UTC": datetime.max.replace(tzinfo=UTC),
    "offset +23:59": datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=23, minutes=59))),
    "offset 1 second": datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(seconds=1))),
    "zone from a file": datetime(2026, 11, 23, 9, 0, tzinfo=_zone_from_file()),
    "custom tzinfo": datetime(2026, 11, 23, 9, 0, tzinfo=_Custom()),
    "tzinfo without offset": datetime(2026, 11, 23, 9, 0, tzinfo=_Naive()),
    "ZoneInfo subclass, bad key": datetime(2026, 11, 23, 9, 0, tzinfo=_keyless_subclass()),
    "timedelta.max": timedelta.max,
    "timedelta.min": timedelta.min,
    "zero timedelta": timedelta(0),
    "negative timedelta": timedelta(days=-1),
    "a feedback": Feedback(
        customer="eve@example.com",
        channel=Channel.EMAIL,
        received_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
        text="stray",
    ),
}

_STRINGS = st.one_of(
    st.text(max_size=20),
    st.text(st.characters(codec="utf-8"), min_size=1, max_size=5).map(lambda s: s * 700),
    st.sampled_from(["\ud800", "\udfff", "\x00", "\u202e", "\ufeff", "\U0010ffff"]).flatmap(
        lambda c: st.text(max_size=5).map(lambda s: s + c)
    ),
)


def bad_values() -> st.SearchStrategy[Any]:
    """Any of :data:`BAD`, or a random string, integer, datetime or duration."""
    return st.one_of(
        st.sampled_from(list(BAD.values())),
        _STRINGS,
        st.integers(),
        st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=14))])),
        st.datetimes(),
        st.timedeltas(),
    )
