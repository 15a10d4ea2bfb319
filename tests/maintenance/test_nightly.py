"""Release night's data: the windows of a release date in follow-the-sun order, countdowns, the 12-month report."""

from datetime import UTC, date, datetime

import pytest

from maintenance import lifecycle, nightly, planning
from maintenance.models import Region, Window
from tests.conftest import NOW

NIGHT = date(2026, 11, 28)


@pytest.fixture
def planned(db):
    planning.plan(NOW, 2)
    return {w.region.slug: w for w in nightly.night_windows(NIGHT)}


def at(hour, minute=0, second=0, day=28):
    return datetime(2026, 11, day, hour, minute, second, tzinfo=UTC)


def test_night_windows_are_every_region_of_the_local_date_in_follow_the_sun_order(planned):
    windows = nightly.night_windows(NIGHT)
    assert [w.region.slug for w in windows] == [
        "australia",
        "japan",
        "singapore",
        "india",
        "eu-frankfurt",
        "eu-ireland",
        "us",
    ]
    # The US window starts on Sunday in UTC but belongs to Saturday's night in New York.
    assert windows[-1].starts_at == datetime(2026, 11, 29, 4, 0, tzinfo=UTC)
    assert [w.starts_at for w in windows] == sorted(w.starts_at for w in windows)
    assert nightly.night_windows(date(2026, 11, 27)) == []


def test_a_cancelled_window_stays_on_its_night(planned):
    lifecycle.cancel(planned["japan"], now=NOW)
    statuses = {w.region.slug: w.status for w in nightly.night_windows(NIGHT)}
    assert statuses["japan"] == Window.Status.CANCELLED
    assert len(statuses) == 7


def test_next_release_date_is_the_night_of_the_earliest_window_not_over(planned):
    assert nightly.next_release_date(NOW) == NIGHT
    # Late on the night, only the US is still ahead: still that night, though it is Sunday in UTC.
    assert nightly.next_release_date(at(23, 30)) == NIGHT
    assert nightly.next_release_date(at(5, 1, day=29)) == date(2026, 12, 26)


def test_next_release_date_keeps_an_overrunning_window_on_screen(planned):
    frankfurt = planned["eu-frankfurt"]
    lifecycle.announce(frankfurt, now=NOW)
    lifecycle.start(frankfurt, now=at(21))
    for slug in ("australia", "japan", "singapore", "india", "eu-ireland", "us"):
        lifecycle.cancel(planned[slug], now=NOW)
    assert nightly.next_release_date(at(23, 59, day=29)) == NIGHT


def test_next_release_date_without_windows_is_the_last_saturday_of_the_month(db):
    Window.objects.all().delete()
    assert nightly.next_release_date(NOW) == NIGHT


def test_countdown_in_every_state(planned):
    window = planned["eu-frankfurt"]  # 21:00-22:00 UTC
    assert nightly.countdown(window, at(20, 17, 30)) == nightly.Countdown("starts", at(21), 42 * 60 + 30)
    lifecycle.announce(window, now=NOW)
    window.refresh_from_db()
    assert nightly.countdown(window, at(21, 2)) == nightly.Countdown("due", at(21), -120)
    lifecycle.start(window, now=at(21, 2))
    window.refresh_from_db()
    assert nightly.countdown(window, at(21, 15)) == nightly.Countdown("ends", at(22), 45 * 60)
    assert nightly.countdown(window, at(22, 3)) == nightly.Countdown("overrun", at(22), -180)
    lifecycle.complete(window, now=at(22, 10))
    window.refresh_from_db()
    assert nightly.countdown(window, at(22, 11)) == nightly.Countdown("done", at(22, 10), None)
    lifecycle.cancel(planned["japan"], now=NOW)
    assert nightly.countdown(Window.objects.get(pk=planned["japan"].pk), at(12)).kind == "cancelled"


def test_an_extension_while_running_keeps_the_promised_end_for_the_overrun(planned):
    window = planned["eu-frankfurt"]
    lifecycle.announce(window, now=NOW)
    lifecycle.start(window, now=at(21))
    lifecycle.extend(window, 30, now=at(21, 50))
    window.refresh_from_db()
    assert nightly.countdown(window, at(21, 55)) == nightly.Countdown("ends", at(22, 30), 35 * 60)
    assert nightly.countdown(window, at(22, 5)) == nightly.Countdown("overrun", at(22), -300)


def test_clock_is_hours_minutes_seconds():
    assert nightly.clock(0) == "0:00:00"
    assert nightly.clock(42 * 60 + 30) == "0:42:30"
    assert nightly.clock(-(3600 + 61)) == "1:01:01"


def _run(window, start, end):
    lifecycle.start(window, now=start)
    lifecycle.complete(window, now=end)


def test_report_counts_announced_vs_actual_overruns_late_starts_and_cancellations(planned):
    for window in planned.values():
        lifecycle.announce(window, now=NOW)
    _run(planned["eu-frankfurt"], at(21, 0), at(22, 12, 30))  # on time, 12.5 minutes over -> 13
    _run(planned["japan"], at(13, 7), at(13, 50))  # 7 minutes late, within the hour
    _run(planned["australia"], at(11, 3), at(11, 59))  # 3 minutes late: within the grace
    lifecycle.cancel(planned["india"], now=NOW)
    rows = {row.region.slug: row for row in nightly.report(at(12, day=30))}
    frankfurt = rows["eu-frankfurt"]
    assert (frankfurt.windows, frankfurt.completed, frankfurt.cancelled) == (1, 1, 0)
    assert (frankfurt.announced_minutes, frankfurt.actual_minutes) == (60, 73)
    assert (frankfurt.overruns, frankfurt.overrun_minutes, frankfurt.late_starts) == (1, 13, 0)
    japan = rows["japan"]
    assert (japan.late_starts, japan.late_minutes, japan.overruns, japan.actual_minutes) == (1, 7, 0, 43)
    assert (rows["australia"].late_starts, rows["australia"].actual_minutes) == (0, 56)
    assert (rows["india"].windows, rows["india"].cancelled, rows["india"].completed) == (1, 1, 0)
    # Announced but never run (the US window is still ahead): a window, not a completion.
    assert (rows["us"].windows, rows["us"].completed, rows["us"].announced_minutes) == (1, 0, 0)
    assert [str(m) for m in nightly.report_months(at(12, day=30))][::11] == ["2025-12", "2026-11"]


def test_report_leaves_out_windows_older_than_twelve_months(planned):
    _run(planned["eu-frankfurt"], at(21), at(22))
    rows = {row.region.slug: row for row in nightly.report(datetime(2027, 11, 1, tzinfo=UTC))}
    assert (rows["eu-frankfurt"].windows, rows["eu-frankfurt"].completed) == (1, 0)  # December 2026's only
    rows = {row.region.slug: row for row in nightly.report(datetime(2027, 10, 31, tzinfo=UTC))}
    assert rows["eu-frankfurt"].completed == 1


def test_report_reads_the_windows_in_two_queries(planned, django_assert_num_queries):
    with django_assert_num_queries(2):
        nightly.report(at(12, day=30))
    assert Region.objects.count() == 7
