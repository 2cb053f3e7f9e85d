from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import attrs
import pytest
from hypothesis import given

from closedloop import Case, StorageError
from closedloop.codec import (
    dump_case,
    dump_datetime,
    dump_event,
    load_case,
    load_datetime,
    load_event,
    load_stored_event,
)
from closedloop.testing import strategies


@given(strategies.cases())
def test_a_case_survives_json_exactly(case: Case) -> None:
    back = load_case(json.loads(json.dumps(dump_case(case))))
    assert back == case
    for ours, theirs in zip(back.events, case.events, strict=True):
        assert ours.at.tzinfo == theirs.at.tzinfo
        assert ours.at.utcoffset() == theirs.at.utcoffset()
        assert ours.at.replace(tzinfo=None) == theirs.at.replace(tzinfo=None)


@given(strategies.aware_datetimes())
def test_datetimes_keep_their_zone_and_wall_time(value: datetime) -> None:
    back = load_datetime(dump_datetime(value))
    assert back == value
    assert back.utcoffset() == value.utcoffset()
    assert back.replace(tzinfo=None) == value.replace(tzinfo=None)
    if isinstance(value.tzinfo, ZoneInfo):
        assert back.tzinfo == value.tzinfo


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (datetime(2026, 3, 29, 3, 30, tzinfo=ZoneInfo("Europe/Berlin")),
         "2026-03-29T03:30:00+02:00[Europe/Berlin]"),
        (datetime(2026, 11, 1, 1, 30, fold=1, tzinfo=ZoneInfo("America/New_York")),
         "2026-11-01T01:30:00-05:00[America/New_York]"),
        (datetime(2028, 3, 26, 2, 0, tzinfo=ZoneInfo("Europe/Ljubljana")),
         "2028-03-26T02:00:00+01:00[Europe/Ljubljana]"),  # a wall time DST skipped
        (datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=ZoneInfo("Europe/Berlin")),
         "2026-10-25T02:30:00+01:00[Europe/Berlin]"),  # the second 02:30 of the night
        (datetime(2026, 1, 1, tzinfo=UTC), "2026-01-01T00:00:00+00:00"),
        (datetime(2026, 1, 1, tzinfo=timezone(timedelta(hours=5, minutes=30))),
         "2026-01-01T00:00:00+05:30"),
    ],
)  # fmt: skip
def test_datetime_text(value: datetime, text: str) -> None:
    assert dump_datetime(value) == text
    back = load_datetime(text)
    assert (back, back.utcoffset(), back.fold) == (value, value.utcoffset(), value.fold)
    assert back.replace(tzinfo=None) == value.replace(tzinfo=None)


def test_an_unknown_event_type_is_a_clear_error() -> None:
    with pytest.raises(StorageError, match="unknown event type 'Teleported'"):
        load_event({"type": "Teleported", "case_id": "c"})


@given(strategies.cases())
def test_a_stored_event_loads_as_the_validating_loader_loads_it(case: Case) -> None:
    for event in case.events:
        data = json.loads(json.dumps(dump_event(event)))
        back = load_stored_event(data)
        assert type(back) is type(event)
        assert back == event == load_event(data)


def test_a_stored_event_from_an_older_version_takes_the_defaults_of_newer_fields() -> None:
    from closedloop.domain.cases.steps import open_case
    from tests.helpers import START, make_feedback

    feedback = attrs.evolve(make_feedback(), tags=["vip"])
    event = open_case("c", feedback, at=START).events[0]
    data = json.loads(json.dumps(dump_event(event)))
    for field in attrs.fields(type(event)):
        if field.default is not attrs.NOTHING:
            del data[field.name]
    for name in ("tags", "fields", "locale", "matter_key"):  # fields Feedback gained later
        del data["feedback"][name]
    back = load_stored_event(data)
    assert back == load_event(data)
    assert back.feedback.tags == ()  # type: ignore[attr-defined]
    assert back.team is None  # type: ignore[attr-defined]


def test_a_stored_event_with_a_malformed_value_or_type_is_refused() -> None:
    from closedloop.domain.cases.steps import open_case
    from tests.helpers import START, make_feedback

    data = dump_event(open_case("c", make_feedback(), at=START).events[0])
    with pytest.raises(ValueError, match="yesterday"):
        load_stored_event({**data, "at": "yesterday"})
    with pytest.raises(StorageError, match="unknown event type 'Teleported'"):
        load_stored_event({**data, "type": "Teleported"})


def test_events_name_their_type() -> None:
    from closedloop.domain.cases.steps import open_case
    from tests.helpers import START, make_feedback

    event = open_case("c", make_feedback(), at=START).events[0]
    data = dump_event(event)
    assert data["type"] == "CaseOpened"
    assert load_event(data) == event


def test_every_event_type_is_registered_once_as_the_final_class() -> None:
    from closedloop.domain.cases import contact, events, label_events, lateness

    exported = {
        name: getattr(module, name)
        for module in (events, contact, lateness, label_events)
        for name in module.__all__
        if isinstance(getattr(module, name), type)
        and issubclass(getattr(module, name), events.Event)
    }
    assert exported == events.EVENT_TYPES  # the very classes the module exports
