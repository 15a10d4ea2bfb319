"""Working a region's account out once over all months and cutting each month out of it gives exactly the
account of that month alone (the ledger relies on it to stay fast with a year of data)."""

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from maintenance import intervals, sla

ORIGIN = datetime(2026, 1, 1, tzinfo=UTC)
CATEGORIES = ["force_majeure", "isp", "ddos"]


def spans(max_size=8):
    """Intervals on a 60-day range, in whole and odd minutes, overlapping and empty ones included."""
    pair = st.tuples(st.integers(0, 60 * 24 * 60), st.integers(0, 3 * 24 * 60))
    return st.lists(pair, max_size=max_size).map(
        lambda items: [
            (ORIGIN + timedelta(minutes=start), ORIGIN + timedelta(minutes=start + length)) for start, length in items
        ]
    )


def cut_points():
    return st.lists(st.integers(0, 62 * 24 * 60), min_size=2, max_size=6, unique=True).map(
        lambda items: [ORIGIN + timedelta(minutes=m) for m in sorted(items)]
    )


@settings(max_examples=200, deadline=None)
@given(spans(), spans(4), spans(4), spans(4), st.lists(st.booleans(), max_size=4), cut_points())
def test_cutting_months_out_of_the_whole_account_equals_each_months_own_account(
    incidents, excused, excluded, actual, announced_flags, cuts
):
    ran = [
        sla.RanWindow(interval, interval if flag else None)
        for interval, flag in zip(actual, announced_flags + [False] * len(actual), strict=False)
    ]
    excluded_spans = {category: excluded[i::3] for i, category in enumerate(CATEGORIES)}
    lo, hi = cuts[0], cuts[-1]
    whole = sla.account(incidents, excluded_spans, ran, intervals.union(excused), lo, hi, CATEGORIES)
    for start, end in zip(cuts, cuts[1:], strict=False):
        alone = sla.account(incidents, excluded_spans, ran, intervals.union(excused), start, end, CATEGORIES)
        cut = sla.in_month(whole, start, end)
        assert cut.downtime == alone.downtime
        assert cut.maintenance == alone.maintenance
        assert {c: s for c, s in cut.excluded.items() if s} == alone.excluded


@settings(max_examples=200, deadline=None)
@given(spans(12), cut_points())
def test_within_is_clip_on_a_merged_list(items, cuts):
    merged = intervals.union(items)
    for lo, hi in zip(cuts, cuts[1:], strict=False):
        assert intervals.within(merged, lo, hi) == intervals.clip(merged, lo, hi)
    assert intervals.within(merged, cuts[-1], cuts[0]) == []


def test_minutes_are_an_int_when_whole_and_two_decimals_otherwise():
    assert sla.minutes(timedelta(hours=2)) == 120 and type(sla.minutes(timedelta(hours=2))) is int
    assert str(sla.minutes(timedelta(minutes=1, seconds=40))) == "1.67"
    assert sla.minutes(timedelta()) == 0


@pytest.mark.parametrize(
    ("start", "end", "weekend_minutes"),
    [
        (datetime(2026, 11, 28, 21, 0, tzinfo=UTC), datetime(2026, 11, 28, 22, 0, tzinfo=UTC), 60),  # Sat, Berlin
        (datetime(2026, 11, 29, 10, 0, tzinfo=UTC), datetime(2026, 11, 29, 10, 45, tzinfo=UTC), 45),  # Sun
        (datetime(2026, 11, 27, 10, 0, tzinfo=UTC), datetime(2026, 11, 27, 11, 0, tzinfo=UTC), 0),  # Fri
        (datetime(2026, 11, 27, 22, 30, tzinfo=UTC), datetime(2026, 11, 27, 23, 30, tzinfo=UTC), 30),  # Fri->Sat
        (datetime(2026, 11, 29, 22, 30, tzinfo=UTC), datetime(2026, 11, 29, 23, 30, tzinfo=UTC), 30),  # Sun->Mon
        (datetime(2026, 11, 28, 22, 0, tzinfo=UTC), datetime(2026, 11, 28, 23, 0, tzinfo=UTC), 60),  # Sat to 00:00
        (datetime(2026, 11, 29, 22, 0, tzinfo=UTC), datetime(2026, 11, 29, 23, 0, tzinfo=UTC), 60),  # Sun to 00:00
        (datetime(2026, 11, 27, 22, 0, tzinfo=UTC), datetime(2026, 11, 27, 23, 0, tzinfo=UTC), 0),  # Fri to 00:00
    ],
)
def test_weekend_parts_within_one_local_day_and_across_midnight(start, end, weekend_minutes):
    parts = sla.weekend_parts((start, end), ZoneInfo("Europe/Berlin"))
    assert intervals.total(parts) == timedelta(minutes=weekend_minutes)
    assert all(p_start.astimezone(ZoneInfo("Europe/Berlin")).weekday() >= 5 for p_start, _ in parts)
