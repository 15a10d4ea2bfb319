"""The SLA ledger's pure interval arithmetic: no database, no clock."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from maintenance import intervals, sla
from maintenance.rule import Month

BERLIN = ZoneInfo("Europe/Berlin")


def at(day, hour, minute=0, second=0):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def test_union_merges_overlapping_and_touching_intervals_and_drops_empty_ones():
    assert intervals.union(
        [(at(1, 10), at(1, 11)), (at(1, 10, 30), at(1, 12)), (at(1, 12), at(1, 13)), (at(2, 1), at(2, 1))]
    ) == [(at(1, 10), at(1, 13))]


def test_subtract_cuts_holes_out_of_intervals():
    assert intervals.subtract([(at(1, 10), at(1, 14))], [(at(1, 11), at(1, 12)), (at(1, 13), at(1, 15))]) == [
        (at(1, 10), at(1, 11)),
        (at(1, 12), at(1, 13)),
    ]
    assert intervals.subtract([(at(1, 10), at(1, 11))], [(at(1, 9), at(1, 12))]) == []


def test_clip_keeps_only_the_part_inside_the_bounds():
    assert intervals.clip([(at(1, 10), at(1, 14)), (at(2, 0), at(2, 1))], at(1, 12), at(1, 20)) == [
        (at(1, 12), at(1, 14))
    ]


@pytest.mark.parametrize(
    ("zone", "month", "minutes"),
    [
        ("Europe/Berlin", "2026-03", 44_580),  # spring forward: 31 days less an hour
        ("Europe/Berlin", "2026-10", 44_700),  # fall back: 31 days and an hour
        ("Europe/Berlin", "2026-11", 43_200),
        ("Australia/Sydney", "2026-04", 43_260),  # southern autumn: DST ends in April
        ("Australia/Lord_Howe", "2026-04", 43_230),  # a half-hour DST shift
        ("Asia/Kolkata", "2026-02", 40_320),
        ("UTC", "2028-02", 41_760),  # leap year
    ],
)
def test_minutes_in_month_are_real_elapsed_minutes(zone, month, minutes):
    assert sla.minutes_in_month(Month.parse(month), ZoneInfo(zone)) == minutes


def test_month_bounds_are_local_midnights_in_utc():
    assert sla.month_bounds(Month(2026, 3), BERLIN) == (
        datetime(2026, 2, 28, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 31, 22, 0, tzinfo=UTC),
    )


def test_incident_time_inside_an_announced_window_is_excused_but_the_overrun_is_not():
    announced = (at(28, 21), at(28, 22))
    ran = sla.RanWindow(actual=(at(28, 21), at(28, 22, 15)), announced=announced)
    incident = (at(28, 21, 30), at(28, 22, 5))
    lost = sla.downtime([incident], [ran], [announced], at(1, 0), at(30, 23))
    assert lost == [(at(28, 22), at(28, 22, 15))]


def test_a_window_that_was_never_announced_counts_in_full():
    ran = sla.RanWindow(actual=(at(28, 21), at(28, 21, 45)), announced=None)
    assert sla.total(sla.downtime([], [ran], [], at(1, 0), at(30, 23))) == timedelta(minutes=45)


def test_an_early_start_before_the_announced_start_counts():
    announced = (at(28, 21), at(28, 22))
    ran = sla.RanWindow(actual=(at(28, 20, 50), at(28, 21, 50)), announced=announced)
    assert sla.downtime([], [ran], [announced], at(1, 0), at(30, 23)) == [(at(28, 20, 50), at(28, 21))]


def test_row_reports_whole_minutes_as_int_and_seconds_as_two_decimals():
    class Region:
        slug = "eu-frankfurt"

    whole = sla.row(Region, Month(2026, 11), BERLIN, [(at(3, 10), at(3, 10, 20))], 99.9)
    assert whole.as_dict() == {
        "region": "eu-frankfurt",
        "month": "2026-11",
        "minutes_in_month": 43_200,
        "downtime_minutes": 20,
        "maintenance_minutes": 0,
        "excluded_minutes": {},
        "availability_percent": Decimal("99.9537"),
        "met": True,
    }
    partial = sla.row(Region, Month(2026, 11), BERLIN, [(at(3, 10), at(3, 10, 1, 40))], 99.9)
    assert partial.downtime_minutes == Decimal("1.67")


def test_met_compares_the_exact_availability_with_the_target():
    class Region:
        slug = "us"

    # 43.2 minutes of a 43,200-minute month is exactly 99.9%.
    exactly = sla.row(Region, Month(2026, 11), BERLIN, [(at(3, 10), at(3, 10, 43, 12))], 99.9)
    assert exactly.availability == Fraction(999, 10) and exactly.met
    just_under = sla.row(Region, Month(2026, 11), BERLIN, [(at(3, 10), at(3, 10, 43, 13))], 99.9)
    assert not just_under.met
