from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance import rule
from tests.oracle import last_saturday_by_walking, window_by_oracle

ZONES = sorted(available_timezones())


def utc(*args):
    return datetime(*args, tzinfo=UTC)


@settings(max_examples=1500, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    year=st.integers(1970, 2100),
    month=st.integers(1, 12),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    length=st.integers(rule.MIN_MINUTES, rule.MAX_MINUTES),
)
def test_rule_agrees_with_brute_force_calendar(zone_name, year, month, hour, minute, length):
    tz = ZoneInfo(zone_name)
    slot = rule.window(rule.Month(year, month), tz, time(hour, minute), length)
    expected_start, expected_end = window_by_oracle(year, month, tz, hour, minute, length)
    assert slot.starts_at == expected_start
    assert slot.ends_at == expected_end
    assert slot.starts_at.utcoffset() == timedelta(0)
    assert slot.ends_at - slot.starts_at == timedelta(minutes=length)


@settings(max_examples=300, deadline=None)
@given(year=st.integers(1970, 2100), month=st.integers(1, 12))
def test_last_saturday_is_the_last_saturday_of_the_month(year, month):
    day = rule.last_saturday(rule.Month(year, month))
    assert day == last_saturday_by_walking(year, month)
    assert day.weekday() == 5 and day.month == month and (day + timedelta(days=7)).month != month


@pytest.mark.parametrize(
    "zone_name, month, wall, minutes, starts_at, ends_at",
    [
        # Ireland: winter time is GMT, summer time IST (+1); zoneinfo models it with a negative DST.
        ("Europe/Dublin", (2026, 3), time(22), 60, utc(2026, 3, 28, 22), utc(2026, 3, 28, 23)),
        ("Europe/Dublin", (2026, 7), time(22), 60, utc(2026, 7, 25, 21), utc(2026, 7, 25, 22)),
        ("Europe/Dublin", (2026, 10), time(22), 60, utc(2026, 10, 31, 22), utc(2026, 10, 31, 23)),
        # Sydney: daylight saving in the southern summer (+11), standard time in June (+10).
        ("Australia/Sydney", (2026, 1), time(22), 60, utc(2026, 1, 31, 11), utc(2026, 1, 31, 12)),
        ("Australia/Sydney", (2026, 6), time(22), 60, utc(2026, 6, 27, 12), utc(2026, 6, 27, 13)),
        ("Asia/Kolkata", (2026, 11), time(22), 60, utc(2026, 11, 28, 16, 30), utc(2026, 11, 28, 17, 30)),
        ("Asia/Kathmandu", (2026, 11), time(22), 45, utc(2026, 11, 28, 16, 15), utc(2026, 11, 28, 17)),
        # +14: just after midnight on Saturday is still Friday in UTC.
        ("Pacific/Kiritimati", (2026, 11), time(0, 30), 60, utc(2026, 11, 27, 10, 30), utc(2026, 11, 27, 11, 30)),
        # -11: the January window falls in February in UTC; it still belongs to January.
        ("Pacific/Pago_Pago", (2026, 1), time(22), 60, utc(2026, 2, 1, 9), utc(2026, 2, 1, 10)),
        # Crosses the month end in UTC: Saturday 31 January 23:30 GMT for an hour.
        ("Europe/London", (2026, 1), time(23, 30), 60, utc(2026, 1, 31, 23, 30), utc(2026, 2, 1, 0, 30)),
        # Nuuk springs forward at 23:00 on that Saturday: 23:30 does not exist and takes the offset before (-2).
        ("America/Nuuk", (2026, 3), time(23, 30), 30, utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2)),
        # Nuuk falls back at midnight on that Saturday: 23:30 happens twice; the first (-1) counts.
        ("America/Nuuk", (2025, 10), time(23, 30), 60, utc(2025, 10, 26, 0, 30), utc(2025, 10, 26, 1, 30)),
        # A window that starts before a fall-back lasts its minutes of elapsed time, not of wall time.
        ("America/Nuuk", (2025, 10), time(23, 45), 30, utc(2025, 10, 26, 0, 45), utc(2025, 10, 26, 1, 15)),
    ],
)
def test_named_cases(zone_name, month, wall, minutes, starts_at, ends_at):
    slot = rule.window(rule.Month(*month), ZoneInfo(zone_name), wall, minutes)
    assert (slot.starts_at, slot.ends_at) == (starts_at, ends_at)


def test_wall_time_in_a_gap_reads_as_the_offset_before_it():
    tz = ZoneInfo("America/Nuuk")
    start = rule.wall_to_utc(date(2026, 3, 28), time(23, 30), tz)
    # On the wall clock that instant shows as 00:30 the next day, summer time.
    assert start.astimezone(tz).replace(tzinfo=None) == datetime(2026, 3, 29, 0, 30)


def test_ambiguous_wall_time_is_its_first_occurrence():
    tz = ZoneInfo("America/Nuuk")
    first = rule.wall_to_utc(date(2025, 10, 25), time(23, 30), tz)
    assert first.astimezone(tz).utcoffset() == timedelta(hours=-1)
    assert first + timedelta(hours=1) == datetime(2025, 10, 25, 23, 30, tzinfo=tz, fold=1).astimezone(UTC)


def test_month_is_the_regions_local_month():
    tz = ZoneInfo("Pacific/Pago_Pago")
    slot = rule.window(rule.Month(2026, 1), tz, time(22), 60)
    assert slot.starts_at.month == 2
    assert rule.local_month(slot.starts_at, tz) == rule.Month(2026, 1)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-01", "2026/01", "", "abcd-ef", "2026-1"])
def test_month_parse_rejects_bad_input(text):
    with pytest.raises(ValueError, match="is not a month"):
        rule.Month.parse(text)


@pytest.mark.parametrize("text", ["24:00", "7:00", "22:60", "22", "noon", ""])
def test_wall_time_parse_rejects_bad_input(text):
    with pytest.raises(ValueError, match="is not a time of day"):
        rule.parse_wall_time(text)


@pytest.mark.parametrize("name", ["Mars/Olympus", "", "../etc/passwd", "europe/berlin", None])
def test_zone_rejects_unknown_names(name):
    with pytest.raises(ValueError, match="is not an IANA time zone"):
        rule.zone(name)


@pytest.mark.parametrize("minutes", [0, 61, -5, 1.5, True])
def test_length_must_be_1_to_60_minutes(minutes):
    with pytest.raises(ValueError, match="1 to 60 minutes"):
        rule.window(rule.Month(2026, 1), ZoneInfo("UTC"), time(22), minutes)


def test_month_arithmetic_crosses_years():
    assert rule.Month(2026, 11).plus(3) == rule.Month(2027, 2)
    assert rule.Month(2026, 1).plus(-1) == rule.Month(2025, 12)
    assert str(rule.Month(2026, 3)) == "2026-03"


def _offset_changes_near_last_saturdays():
    """(zone, year, month, wall time) for every clock change whose wall times touch a last Saturday.

    Random wall times almost never land in a gap or an overlap, so this list
    steers hypothesis onto exactly those moments, in every zone and year.
    """
    # The last Saturdays do not depend on the zone: walk the calendar once, not once per zone.
    saturdays = [
        (year, month, last_saturday_by_walking(year, month)) for year in range(1970, 2101) for month in range(1, 13)
    ]
    cases = []
    for name in ZONES:
        tz = ZoneInfo(name)
        for year, month, day in saturdays:
            lo = datetime(day.year, day.month, day.day, tzinfo=UTC) - timedelta(hours=26)
            hi = lo + timedelta(hours=76)
            if lo.astimezone(tz).utcoffset() == hi.astimezone(tz).utcoffset():
                continue
            while hi - lo > timedelta(minutes=1):  # bisect to the first minute of the new offset
                mid = lo + (hi - lo) / 2
                if mid.astimezone(tz).utcoffset() == lo.astimezone(tz).utcoffset():
                    lo = mid
                else:
                    hi = mid
            for instant in (lo, hi):
                wall = instant.astimezone(tz)
                if wall.date() == day:
                    cases.append((name, year, month, wall.hour, wall.minute))
    return cases


CLOCK_CHANGES = _offset_changes_near_last_saturdays()


def test_clock_changes_on_last_saturdays_exist_to_test():
    assert len(CLOCK_CHANGES) > 50


@settings(max_examples=1500, deadline=None)
@given(case=st.sampled_from(CLOCK_CHANGES), shift=st.integers(-90, 90), length=st.integers(1, 60))
def test_rule_agrees_with_brute_force_around_clock_changes(case, shift, length):
    name, year, month, hour, minute = case
    tz = ZoneInfo(name)
    wall = (datetime(2000, 1, 1, hour, minute) + timedelta(minutes=shift)).time()
    slot = rule.window(rule.Month(year, month), tz, wall, length)
    assert (slot.starts_at, slot.ends_at) == window_by_oracle(year, month, tz, wall.hour, wall.minute, length)
