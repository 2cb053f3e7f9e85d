from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from dateutil.rrule import WEEKLY, YEARLY, rrule
from hypothesis import given, settings
from hypothesis import strategies as st

from closedloop.domain.errors import NaiveDatetimeError, ValidationError
from closedloop.domain.standards.calendar import BusinessCalendar, Window

ZONES = ["Europe/Berlin", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe", "UTC"]
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
US = timedelta(microseconds=1)
XMAS = rrule(YEARLY, bymonth=12, bymonthday=25, dtstart=datetime(2000, 1, 1))


def elapsed(a: datetime, b: datetime) -> timedelta:
    """Real elapsed time (subtracting two datetimes in one zone gives wall-clock time)."""
    return b.astimezone(UTC) - a.astimezone(UTC)


def utc(instant: datetime) -> datetime:
    """Compare in UTC: datetimes sharing a zone compare by wall clock, ignoring fold."""
    return instant.astimezone(UTC)


def local(zone: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=zone, fold=fold)  # type: ignore[misc]


# ---------------------------------------------------------------- strategies

# Minute marks of window bounds, biased to the small hours where clocks change.
_MARKS = st.one_of(
    st.integers(0, 1440), st.sampled_from([0, 60, 90, 120, 150, 180, 210, 240, 1440])
)


def _time(minute: int) -> time:
    return time(0) if minute == 1440 else time(minute // 60, minute % 60)


@st.composite
def day_windows(draw: st.DrawFn) -> list[Window]:
    count = draw(st.sampled_from([0, 0, 1, 1, 1, 2, 2, 3]))
    marks = sorted(draw(st.sets(_MARKS, min_size=2 * count, max_size=2 * count)))
    return [Window(_time(a), _time(b)) for a, b in zip(marks[::2], marks[1::2], strict=True)]


@st.composite
def holidays(draw: st.DrawFn) -> list[object]:
    days = st.dates(date(2023, 12, 1), date(2029, 12, 31))
    result: list[object] = list(draw(st.lists(days, max_size=12)))
    for first, length in draw(st.lists(st.tuples(days, st.integers(0, 20)), max_size=3)):
        result.append((first, first + timedelta(days=length)))
    if draw(st.booleans()):
        month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
        result.append(rrule(YEARLY, bymonth=month, bymonthday=day, dtstart=datetime(2000, 1, 1)))
    return result


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    week = draw(st.lists(day_windows(), min_size=7, max_size=7).filter(any))
    return BusinessCalendar(draw(st.sampled_from(ZONES)), week, draw(holidays()))


def _transition_days(zone: ZoneInfo) -> list[date]:
    found = []
    day = datetime(2023, 12, 1, tzinfo=UTC)
    while day.year < 2030:
        if (
            day.astimezone(zone).utcoffset()
            != (day + timedelta(days=1)).astimezone(zone).utcoffset()
        ):
            found.append(day.date())
        day += timedelta(days=1)
    return found


_CLOCK_CHANGES = sorted({d for z in ZONES for d in _transition_days(ZoneInfo(z))})
_INSTANT_ZONES = st.sampled_from([UTC, *(ZoneInfo(z) for z in ZONES)])
instants = st.one_of(
    st.datetimes(datetime(2024, 1, 1), datetime(2028, 12, 31), timezones=_INSTANT_ZONES),
    # near the clock changes of all the zones above
    st.builds(
        lambda day, offset: datetime.combine(day, time(), tzinfo=UTC) + offset,
        st.sampled_from(_CLOCK_CHANGES),
        st.timedeltas(timedelta(hours=-24), timedelta(hours=36)),
    ),
)
durations = st.one_of(
    st.just(timedelta(0)),
    st.timedeltas(timedelta(0), timedelta(hours=10)),
    st.timedeltas(timedelta(0), timedelta(hours=600)),
    st.integers(0, 600).map(lambda h: timedelta(hours=h)),
)


def is_window_end(calendar: BusinessCalendar, instant: datetime) -> bool:
    return not calendar.is_open(instant) and calendar.is_open(instant - US)


# ---------------------------------------------------------------- an independent oracle


def _holiday_dates(calendar: BusinessCalendar) -> set[date]:
    found: set[date] = set()
    for h in calendar.holidays:
        if isinstance(h, tuple):
            found.update(h[0] + timedelta(days=i) for i in range((h[1] - h[0]).days + 1))
        elif isinstance(h, date):
            found.add(h)
        else:
            found.update(
                d.date() for d in h.between(datetime(2020, 1, 1), datetime(2035, 1, 1), inc=True)
            )
    return found


def oracle_open_minutes(calendar: BusinessCalendar, start: datetime, minutes: int) -> list[bool]:
    """Whether each UTC minute from ``start`` (minute-aligned) is open, stepping minute by minute.

    A local time w stands for the first instant at which the clock shows w or later, so an
    instant is open when the furthest the clock has shown so far lies in a window of its date.
    Windows and clock changes in these tests fall on whole minutes, so minutes are enough.
    """
    zone = ZoneInfo(calendar.zone)
    closed = _holiday_dates(calendar)
    x = start - timedelta(hours=4)
    furthest = x.astimezone(zone).replace(tzinfo=None)
    result = []
    while x < start + timedelta(minutes=minutes):
        furthest = max(furthest, x.astimezone(zone).replace(tzinfo=None))
        if x >= start:
            clock = furthest.time()
            result.append(
                furthest.date() not in closed
                and any(
                    w.start <= clock and (w.end == time(0) or clock < w.end)
                    for w in calendar.week[furthest.weekday()]
                )
            )
        x += timedelta(minutes=1)
    return result


# ---------------------------------------------------------------- properties


@settings(max_examples=300, deadline=None)
@given(calendars(), instants, durations)
def test_between_undoes_add(calendar: BusinessCalendar, t: datetime, d: timedelta) -> None:
    result = calendar.add(t, d)
    assert result.tzinfo == ZoneInfo(calendar.zone)
    assert utc(result) >= utc(t)
    assert calendar.between(t, result) == d


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, durations, durations)
def test_add_is_monotonic_and_additive(
    calendar: BusinessCalendar, t: datetime, d1: timedelta, d2: timedelta
) -> None:
    small, large = sorted([d1, d2])
    assert utc(calendar.add(t, small)) <= utc(calendar.add(t, large))
    assert utc(calendar.add(calendar.add(t, d1), d2)) == utc(calendar.add(t, d1 + d2))


@settings(max_examples=200, deadline=None)
@given(calendars(), instants, durations.filter(bool))
def test_add_lands_in_open_time_or_on_a_window_end(
    calendar: BusinessCalendar, t: datetime, d: timedelta
) -> None:
    result = calendar.add(t, d)
    assert calendar.is_open(result) or is_window_end(calendar, result)


@settings(max_examples=150, deadline=None)
@given(calendars(), instants, instants, instants)
def test_between_adds_up_over_consecutive_spans(
    calendar: BusinessCalendar, a: datetime, b: datetime, c: datetime
) -> None:
    a, b, c = sorted([a, b, c], key=utc)
    assert calendar.between(a, b) + calendar.between(b, c) == calendar.between(a, c)
    assert calendar.between(c, a) == timedelta(0)


@settings(max_examples=200, deadline=None)
@given(calendars(), instants)
def test_next_open_is_the_first_open_instant(calendar: BusinessCalendar, t: datetime) -> None:
    found = calendar.next_open(t)
    assert calendar.is_open(found)
    assert utc(found) >= utc(t)
    assert (utc(found) == utc(t)) == calendar.is_open(t)
    assert calendar.between(t, found) == timedelta(0)
    gap = elapsed(t, found)
    if gap:  # t was closed: nothing is open from t up to what was found
        for k in range(8):
            # Floor: a gap of a few microseconds must not round up onto what was found.
            assert not calendar.is_open(utc(t) + (gap * k) // 8)
        assert not calendar.is_open(utc(found) - US)


@settings(max_examples=60, deadline=None)
@given(
    calendars(),
    instants.map(lambda t: t.astimezone(UTC).replace(second=0, microsecond=0)),
    st.integers(0, 5 * 24 * 60),
)
def test_between_and_is_open_agree_with_minute_stepping(
    calendar: BusinessCalendar, start: datetime, minutes: int
) -> None:
    expected = oracle_open_minutes(calendar, start, minutes)
    end = start + timedelta(minutes=minutes)
    assert calendar.between(start, end) == timedelta(minutes=sum(expected))
    for i in range(0, minutes, 97):
        assert calendar.is_open(start + timedelta(minutes=i, seconds=30)) == expected[i]


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ZONES), instants, durations)
def test_round_the_clock_business_time_is_elapsed_time(
    zone: str, t: datetime, d: timedelta
) -> None:
    # The second calendar has a holiday long ago, so it goes through the general arithmetic.
    for calendar in (
        BusinessCalendar.always_open(zone),
        BusinessCalendar(zone, [[Window(time(0), time(0))]] * 7, [date(1990, 1, 1)]),
    ):
        assert utc(calendar.add(t, d)) == utc(t) + d
        assert calendar.between(t, utc(t) + d) == d
        assert calendar.is_open(t)


# ---------------------------------------------------------------- daylight saving


def night_and_day(zone: str, weekday: int = 6) -> BusinessCalendar:
    return BusinessCalendar(zone, {weekday: [(time(1), time(4)), (time(9), time(17))]})


@pytest.mark.parametrize(
    ("zone", "day", "night_hours"),
    [
        (BERLIN, date(2026, 3, 29), 2),
        (BERLIN, date(2026, 10, 25), 4),
        (NEW_YORK, date(2026, 3, 8), 2),
        (NEW_YORK, date(2026, 11, 1), 4),
        (BERLIN, date(2026, 3, 22), 3),  # an ordinary Sunday
    ],
)
def test_a_night_window_over_a_clock_change_is_shorter_or_longer(
    zone: ZoneInfo, day: date, night_hours: int
) -> None:
    calendar = night_and_day(zone.key)
    night, office = calendar.open_spans(day)
    assert elapsed(*night) == timedelta(hours=night_hours)
    assert elapsed(*office) == timedelta(hours=8)
    one_am = local(zone, day.year, day.month, day.day, 1)
    assert calendar.between(one_am, local(zone, day.year, day.month, day.day, 12)) == timedelta(
        hours=night_hours + 3
    )
    assert calendar.add(one_am, timedelta(hours=night_hours)) == local(
        zone, day.year, day.month, day.day, 4
    )
    assert calendar.add(one_am, timedelta(hours=night_hours + 1)) == local(
        zone, day.year, day.month, day.day, 10
    )


def test_in_the_repeated_hour_the_first_occurrence_is_meant() -> None:
    calendar = night_and_day("Europe/Berlin")
    one_am = local(BERLIN, 2026, 10, 25, 1)
    first = calendar.add(one_am, timedelta(minutes=90))
    second = calendar.add(one_am, timedelta(minutes=150))
    assert utc(first) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 summer time
    assert utc(second) == datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 winter time
    assert (first.fold, second.fold) == (0, 1)
    assert calendar.is_open(local(BERLIN, 2026, 10, 25, 2, 30, fold=1))


def test_lord_howe_moves_its_clocks_by_half_an_hour() -> None:
    calendar = BusinessCalendar("Australia/Lord_Howe", {6: [(time(1), time(3))]})
    (forward,) = calendar.open_spans(date(2026, 10, 4))
    (back,) = calendar.open_spans(date(2026, 4, 5))
    assert elapsed(*forward) == timedelta(minutes=90)
    assert elapsed(*back) == timedelta(minutes=150)
    start = local(LORD_HOWE, 2026, 10, 4, 0)
    assert calendar.add(start, timedelta(minutes=90)) == local(LORD_HOWE, 2026, 10, 4, 3)


def test_window_bounds_in_the_skipped_hour_mean_the_moment_the_clocks_jump() -> None:
    windows = [(time(1), time(2, 30)), (time(2, 35), time(2, 50)), (time(2, 55), time(5))]
    calendar = BusinessCalendar("Europe/Berlin", {6: windows})
    first, last = calendar.open_spans(date(2026, 3, 29))
    jump = datetime(2026, 3, 29, 1, tzinfo=UTC)  # 02:00 CET becomes 03:00 CEST
    assert first == (local(BERLIN, 2026, 3, 29, 1), jump)
    assert last == (jump, local(BERLIN, 2026, 3, 29, 5))
    # 02:35-02:50 never happens, so it is not open; the other two windows meet at the jump.
    assert calendar.is_open(jump - US)
    assert calendar.is_open(jump)
    assert calendar.between(local(BERLIN, 2026, 3, 29, 0), local(BERLIN, 2026, 3, 29, 6)) == (
        timedelta(hours=3)
    )


def test_office_hours_keep_their_length_on_clock_change_days() -> None:
    calendar = BusinessCalendar.weekdays(zone="America/New_York")
    friday = local(NEW_YORK, 2026, 3, 6, 9)
    assert calendar.add(friday, timedelta(hours=16)) == local(NEW_YORK, 2026, 3, 9, 17)
    assert calendar.between(friday, local(NEW_YORK, 2026, 3, 12, 17)) == timedelta(hours=40)


# ---------------------------------------------------------------- holidays, breaks, weekends


def test_holidays_close_whole_days() -> None:
    calendar = BusinessCalendar.weekdays(
        zone="Europe/Berlin",
        holidays=[date(2026, 12, 24), (date(2026, 12, 28), date(2026, 12, 31)), XMAS],
    )
    before = local(BERLIN, 2026, 12, 23, 17)
    # 24 Dec, 25 Dec (the rule) and 28-31 Dec are closed; New Year's Day is not in this list.
    assert calendar.add(before, timedelta(hours=1)) == local(BERLIN, 2027, 1, 1, 10)
    assert calendar.next_open(before) == local(BERLIN, 2027, 1, 1, 9)
    assert calendar.between(local(BERLIN, 2026, 12, 21), local(BERLIN, 2027, 1, 4)) == timedelta(
        hours=4 * 8
    )
    assert not calendar.is_open(local(BERLIN, 2026, 12, 30, 12))
    assert calendar.open_spans(date(2026, 12, 25)) == ()


def test_the_yearly_rule_closes_christmas_every_year() -> None:
    calendar = BusinessCalendar.weekdays(zone="Europe/London", holidays=[XMAS])
    london = ZoneInfo("Europe/London")
    for year in (2026, 2028, 2031, 2090):  # 25 December on a Friday, a Monday, a Thursday, ...
        christmas = local(london, year, 12, 25, 12)
        assert not calendar.is_open(christmas)
    assert calendar.is_open(local(london, 2028, 12, 26, 12))
    long_run = calendar.between(local(london, 2026, 1, 1), local(london, 2036, 1, 1))
    weekdays = sum(1 for i in range(3652) if (date(2026, 1, 1) + timedelta(days=i)).weekday() < 5)
    christmases = sum(1 for y in range(2026, 2036) if date(y, 12, 25).weekday() < 5)
    assert long_run == timedelta(hours=8 * (weekdays - christmases))


def test_a_lunch_break_is_not_business_time() -> None:
    calendar = BusinessCalendar(
        "Europe/Berlin", {0: [Window(time(9), time(12, 30)), Window(time(13, 30), time(17, 30))]}
    )
    noon = local(BERLIN, 2026, 11, 23, 12)
    assert calendar.add(noon, timedelta(hours=1)) == local(BERLIN, 2026, 11, 23, 14)
    assert calendar.add(noon, timedelta(minutes=30)) == local(BERLIN, 2026, 11, 23, 12, 30)
    lunch = local(BERLIN, 2026, 11, 23, 12, 45)
    assert not calendar.is_open(lunch)
    assert calendar.next_open(lunch) == local(BERLIN, 2026, 11, 23, 13, 30)
    assert calendar.add(lunch, timedelta(0)) == lunch
    assert calendar.between(local(BERLIN, 2026, 11, 23), local(BERLIN, 2026, 11, 24)) == (
        timedelta(hours=7, minutes=30)
    )
    assert calendar.add(local(BERLIN, 2026, 11, 23, 17), timedelta(hours=1)) == local(
        BERLIN, 2026, 11, 30, 9, 30
    )


def test_a_friday_afternoon_request_is_due_on_monday() -> None:
    calendar = BusinessCalendar.weekdays(time(9), time(17), zone="Europe/London")
    london = ZoneInfo("Europe/London")
    friday = local(london, 2026, 11, 27, 15)
    assert calendar.add(friday, timedelta(hours=4)) == local(london, 2026, 11, 30, 11)
    assert calendar.add(friday, timedelta(hours=2)) == local(london, 2026, 11, 27, 17)
    # three days of business time are nine working days
    assert calendar.add(friday, timedelta(days=3)) == local(london, 2026, 12, 10, 15)
    assert calendar.between(friday, local(london, 2026, 11, 30, 11)) == timedelta(hours=4)


def test_windows_ending_at_midnight_join_the_next_day() -> None:
    calendar = BusinessCalendar("UTC", {4: [(time(20), time(0))], 5: [(time(0), time(2))]})
    friday = datetime(2026, 11, 27, 23, tzinfo=UTC)
    assert calendar.is_open(datetime(2026, 11, 28, tzinfo=UTC))
    assert calendar.add(friday, timedelta(hours=2)) == datetime(2026, 11, 28, 1, tzinfo=UTC)
    assert str(Window(time(20), time(0))) == "20:00-24:00"


def test_round_the_clock_across_a_clock_change() -> None:
    calendar = BusinessCalendar.always_open("Europe/Berlin")
    saturday_noon = local(BERLIN, 2026, 3, 28, 12)
    assert calendar.add(saturday_noon, timedelta(hours=24)) == local(BERLIN, 2026, 3, 29, 13)
    assert calendar.between(saturday_noon, local(BERLIN, 2026, 3, 29, 12)) == timedelta(hours=23)


def test_results_are_in_the_calendars_zone() -> None:
    calendar = BusinessCalendar.weekdays(zone="Asia/Kolkata")
    t = datetime(2026, 11, 23, 4, tzinfo=UTC)  # 09:30 in Kolkata
    result = calendar.add(t, timedelta(hours=1))
    assert result.tzinfo == ZoneInfo("Asia/Kolkata")
    assert result == datetime(2026, 11, 23, 5, tzinfo=UTC)
    assert calendar.next_open(t).tzinfo == ZoneInfo("Asia/Kolkata")


# ---------------------------------------------------------------- refusals


def test_naive_datetimes_are_refused() -> None:
    calendar = BusinessCalendar.weekdays(zone="UTC")
    naive = datetime(2026, 11, 23, 9)
    aware = naive.replace(tzinfo=UTC)
    with pytest.raises(NaiveDatetimeError, match="instant must be timezone-aware"):
        calendar.add(naive, timedelta(hours=1))
    with pytest.raises(NaiveDatetimeError, match="end must be timezone-aware"):
        calendar.between(aware, naive)
    with pytest.raises(NaiveDatetimeError, match="start"):
        calendar.between(naive, aware)
    with pytest.raises(NaiveDatetimeError):
        calendar.is_open(naive)
    with pytest.raises(NaiveDatetimeError):
        calendar.next_open(naive)


@pytest.mark.parametrize("week", [{}, [[]] * 7, {0: [], 6: []}])
def test_a_calendar_without_windows_is_refused(week: object) -> None:
    with pytest.raises(ValidationError, match="at least one working window"):
        BusinessCalendar("UTC", week)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("week", "message"),
    [
        ({0: [(time(13), time(17)), (time(9), time(12))]}, "Monday: windows must be in order"),
        ({1: [(time(9), time(13)), (time(12), time(17))]}, "Tuesday: .* 09:00-13:00 is followed"),
        ({2: [(time(20), time(0)), (time(21), time(22))]}, "Wednesday: windows must be in order"),
        ({0: [(time(17), time(9))]}, "must start before it ends"),
        ({0: [(time(9), time(9))]}, "must start before it ends"),
        ({7: [(time(9), time(17))]}, "weekdays 0 .Monday. to 6"),
        ([[(time(9), time(17))]] * 5, "all 7 days"),
        ({0: [(time(9), time(17, tzinfo=UTC))]}, "without tzinfo"),
        ({0: [(9, 17)]}, "window start must be a datetime.time"),
        ({0: ["09:00-17:00"]}, "a window must be a Window"),
    ],
)
def test_bad_windows_are_refused(week: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        BusinessCalendar("UTC", week)  # type: ignore[arg-type]


def test_unknown_zones_are_refused() -> None:
    with pytest.raises(ValidationError, match="unknown time zone 'Mars/Olympus_Mons'"):
        BusinessCalendar.weekdays(zone="Mars/Olympus_Mons")
    with pytest.raises(ValidationError, match="unknown time zone"):
        BusinessCalendar.weekdays(zone="../etc/passwd")


@pytest.mark.parametrize(
    "holiday",
    [
        datetime(2026, 12, 25, tzinfo=UTC),
        (date(2026, 12, 31), date(2026, 12, 24)),
        "2026-12-25",
    ],
)
def test_bad_holidays_are_refused(holiday: object) -> None:
    with pytest.raises(ValidationError, match="holiday"):
        BusinessCalendar.weekdays(zone="UTC", holidays=[holiday])  # type: ignore[list-item]


def test_negative_durations_are_refused() -> None:
    calendar = BusinessCalendar.weekdays(zone="UTC")
    with pytest.raises(ValidationError, match="must not be negative"):
        calendar.add(datetime(2026, 11, 23, tzinfo=UTC), timedelta(seconds=-1))


def test_a_calendar_closed_for_ten_years_gives_up() -> None:
    calendar = BusinessCalendar.weekdays(
        zone="UTC", holidays=[(date(2026, 1, 1), date(2040, 12, 31))]
    )
    t = datetime(2025, 12, 31, 16, tzinfo=UTC)
    with pytest.raises(ValidationError, match="no open time in the ten years"):
        calendar.add(t, timedelta(hours=2))
    with pytest.raises(ValidationError, match="no open time in the ten years"):
        calendar.next_open(datetime(2026, 1, 1, tzinfo=UTC))
    assert calendar.add(t, timedelta(hours=1)) == datetime(2025, 12, 31, 17, tzinfo=UTC)


def test_a_weekly_rule_can_close_a_weekday_for_good() -> None:
    no_fridays = rrule(WEEKLY, byweekday=4, dtstart=datetime(2026, 1, 1))
    calendar = BusinessCalendar.weekdays(zone="UTC", holidays=[no_fridays])
    thursday = datetime(2026, 11, 26, 16, tzinfo=UTC)
    assert calendar.add(thursday, timedelta(hours=2)) == datetime(2026, 11, 30, 10, tzinfo=UTC)
    assert calendar.add(thursday, timedelta(hours=8 * 4 * 52)) == datetime(
        2027, 11, 25, 16, tzinfo=UTC
    )


def test_small_accessors() -> None:
    calendar = BusinessCalendar.weekdays(zone="Europe/Berlin", holidays=date(2026, 12, 24))
    assert calendar.holidays == (date(2026, 12, 24),)
    assert calendar.tz == BERLIN
    assert Window(time(9), time(12, 30)).length == timedelta(hours=3, minutes=30)
    assert Window(time(22), time(0)).length == timedelta(hours=2)
    assert str(Window(time(9), time(9, 0, 30))) == "09:00-09:00:30"
    assert calendar == BusinessCalendar.weekdays(
        zone="Europe/Berlin", holidays=[date(2026, 12, 24)]
    )


def test_a_rule_with_an_aware_start_works_too() -> None:
    new_year = rrule(YEARLY, bymonth=1, bymonthday=1, dtstart=datetime(2000, 1, 1, tzinfo=UTC))
    calendar = BusinessCalendar.weekdays(zone="UTC", holidays=[new_year])
    assert calendar.open_spans(date(2027, 1, 1)) == ()
    assert calendar.open_spans(date(2027, 1, 4)) != ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.add(datetime(1, 1, 2, tzinfo=UTC), timedelta(hours=1)), "year 2 to year 9998"),
        (lambda c: c.add(datetime(9998, 12, 30, tzinfo=UTC), timedelta(days=9)), "year 9998"),
        (lambda c: c.add(datetime(2026, 1, 1, tzinfo=UTC), timedelta(days=10**6)), "year 9998"),
        (
            lambda c: c.between(
                datetime(9999, 12, 31, tzinfo=UTC), datetime.max.replace(tzinfo=UTC)
            ),
            "year 9998",
        ),
        (lambda c: c.add(datetime(2026, 1, 1, tzinfo=UTC), 3600), "must be a timedelta"),
        (lambda c: c.open_spans(datetime(2026, 1, 1, tzinfo=UTC)), "day must be a date"),
    ],
)
def test_out_of_range_and_mistyped_arguments_are_refused(call: object, message: str) -> None:
    calendar = BusinessCalendar.weekdays(zone="UTC")
    with pytest.raises(ValidationError, match=message):
        call(calendar)  # type: ignore[operator]


@pytest.mark.parametrize("zone", [None, "", 42])
def test_zone_must_be_a_name(zone: object) -> None:
    with pytest.raises(ValidationError, match="IANA time zone name"):
        BusinessCalendar(zone, {0: [(time(9), time(17))]})  # type: ignore[arg-type]


def test_a_day_needs_a_list_of_windows() -> None:
    with pytest.raises(ValidationError, match="Monday: give a list of windows"):
        BusinessCalendar("UTC", {0: Window(time(9), time(17))})  # type: ignore[dict-item]


@pytest.mark.parametrize("years", [0, 1, 7])
def test_hours_gained_when_clocks_go_back_are_not_skipped_over(years: int) -> None:
    # Open only Sunday nights, 01:00-04:00: three hours a week, four on fall-back nights.
    # A long add must not jump over the last night because the nominal week undercounts.
    calendar = BusinessCalendar("Europe/Berlin", {6: [(time(1), time(4))]})
    monday = date(2026, 10, 19) - timedelta(weeks=52 * years)
    sundays = [monday + timedelta(days=6 + 7 * i) for i in range(52 * years)]
    nights = [elapsed(*calendar.open_spans(s)[0]) for s in sundays]
    assert nights.count(timedelta(hours=4)) >= years - 1
    d = sum(nights, timedelta(hours=3, minutes=30))
    start = local(BERLIN, monday.year, monday.month, monday.day, 12)
    result = calendar.add(start, d)
    assert utc(result) == datetime(2026, 10, 25, 2, 30, tzinfo=UTC)  # 03:30 winter time
    assert calendar.between(start, result) == d
