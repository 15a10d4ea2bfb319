"""GET /api/v1/sla/: exact minutes for the SLA rules, worked out from real windows and incidents."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from rest_framework.test import APIClient

from maintenance import incidents, lifecycle
from maintenance.models import SlaExclusion, Window
from tests.conftest import NOW
from tests.statuspage.conftest import LATER


@pytest.fixture
def announced(window):
    """The eu-frankfurt November window (2026-11-28 21:00–22:00 UTC), announced ahead."""
    lifecycle.announce(window, now=NOW)
    return Window.objects.get(pk=window.pk)


def incident(regions, start, end, impact="major"):
    opened = incidents.open_incident(
        "Errors", [regions["eu-frankfurt"]], impact, "Looking into it.", started_at=start, now=start
    )
    if end is not None:
        incidents.resolve(opened, "Fixed.", resolved_at=end, now=end)
    return opened


def sla_row(api, month="2026-11", region="eu-frankfurt"):
    with time_machine.travel(LATER, tick=False):
        response = api.get(f"/api/v1/sla/?month={month}")
    assert response.status_code == 200
    return next(row for row in response.json() if row["region"] == region)


def test_an_incident_inside_an_announced_window_is_not_downtime(api, regions, announced):
    incident(regions, announced.starts_at + timedelta(minutes=10), announced.starts_at + timedelta(minutes=40))
    assert sla_row(api) == {
        "region": "eu-frankfurt",
        "month": "2026-11",
        "minutes_in_month": 43_200,
        "downtime_minutes": 0,
        "maintenance_minutes": 60,
        "excluded_minutes": dict.fromkeys(SlaExclusion.Category.values, 0),
        "availability_percent": 100.0,
        "met": True,
        "error_budget_minutes": 43.2,
        "error_budget_left_minutes": 43.2,
    }


def test_an_incident_past_the_announced_end_counts_only_after_the_end(api, regions, announced):
    incident(regions, announced.starts_at + timedelta(minutes=30), announced.ends_at + timedelta(minutes=20))
    row = sla_row(api)
    assert (row["downtime_minutes"], row["availability_percent"], row["met"]) == (20, 99.9537, True)


def test_two_overlapping_incidents_count_once(api, regions, announced):
    incident(regions, datetime(2026, 11, 3, 10, 0, tzinfo=UTC), datetime(2026, 11, 3, 10, 30, tzinfo=UTC))
    incident(regions, datetime(2026, 11, 3, 10, 20, tzinfo=UTC), datetime(2026, 11, 3, 11, 0, tzinfo=UTC))
    row = sla_row(api)
    assert (row["downtime_minutes"], row["availability_percent"], row["met"]) == (60, 99.8611, False)


def test_a_window_that_was_never_announced_counts_in_full(api, window):
    lifecycle.start(window, now=window.starts_at)
    lifecycle.complete(window, now=window.starts_at + timedelta(minutes=45))
    row = sla_row(api)
    assert (row["downtime_minutes"], row["availability_percent"], row["met"]) == (45, 99.8958, False)


def test_an_announced_window_that_overruns_counts_the_overrun(api, regions, announced):
    lifecycle.start(announced, now=announced.starts_at)
    lifecycle.complete(announced, now=announced.ends_at + timedelta(minutes=15))
    assert sla_row(api)["downtime_minutes"] == 15


def test_an_extension_while_running_does_not_excuse_the_overrun(api, regions, announced):
    lifecycle.start(announced, now=announced.starts_at)
    lifecycle.extend(announced, 30, reason="migration slow", now=announced.starts_at + timedelta(minutes=50))
    lifecycle.complete(announced, now=announced.starts_at + timedelta(minutes=80))
    assert sla_row(api)["downtime_minutes"] == 20


def test_an_extension_announced_before_the_start_moves_the_promised_end(api, regions, announced):
    lifecycle.extend(announced, 30, reason="bigger release", now=NOW)
    lifecycle.start(announced, now=announced.starts_at)
    lifecycle.complete(announced, now=announced.starts_at + timedelta(minutes=80))
    assert sla_row(api)["downtime_minutes"] == 0


def test_a_window_still_running_counts_until_now(api, regions, announced):
    lifecycle.start(announced, now=announced.starts_at)
    with time_machine.travel(announced.ends_at + timedelta(minutes=7), tick=False):
        row = APIClient().get("/api/v1/sla/?month=2026-11").json()
    assert next(r for r in row if r["region"] == "eu-frankfurt")["downtime_minutes"] == 7


def test_march_in_berlin_has_44580_minutes(api, regions):
    assert sla_row(api, month="2026-03")["minutes_in_month"] == 44_580


def test_an_incident_across_the_month_boundary_is_split_between_the_months(api, regions):
    # Berlin's December starts at 2026-11-30 23:00 UTC.
    incident(regions, datetime(2026, 11, 30, 22, 30, tzinfo=UTC), datetime(2026, 12, 1, 0, 10, tzinfo=UTC))
    assert sla_row(api, month="2026-11")["downtime_minutes"] == 30
    assert sla_row(api, month="2026-12")["downtime_minutes"] == 70


def test_an_open_incident_counts_until_now(api, regions):
    incident(regions, datetime(2026, 12, 15, 10, 0, tzinfo=UTC), None, impact="critical")
    assert sla_row(api, month="2026-12")["downtime_minutes"] == 120


def test_other_regions_are_untouched_and_every_active_region_has_a_row(api, regions, announced):
    incident(regions, datetime(2026, 11, 3, 10, 0, tzinfo=UTC), datetime(2026, 11, 3, 10, 30, tzinfo=UTC))
    with time_machine.travel(LATER, tick=False):
        rows = api.get("/api/v1/sla/?month=2026-11").json()
    assert [row["region"] for row in rows] == list(regions)
    assert {row["region"]: row["downtime_minutes"] for row in rows if row["downtime_minutes"]} == {"eu-frankfurt": 30}


def test_the_error_budget_is_what_the_target_allows_minus_the_downtime(api, regions):
    incident(regions, datetime(2026, 11, 3, 10, 0, tzinfo=UTC), datetime(2026, 11, 3, 11, 0, tzinfo=UTC))
    row = sla_row(api)
    assert (row["error_budget_minutes"], row["error_budget_left_minutes"]) == (43.2, -16.8)
    assert sla_row(api, month="2026-03")["error_budget_minutes"] == 44.58  # Berlin's March is an hour short


def test_a_fractional_downtime_is_given_to_two_decimals(api, regions):
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    incident(regions, start, start + timedelta(minutes=1, seconds=40))
    assert sla_row(api)["downtime_minutes"] == 1.67


def test_the_month_defaults_to_the_current_one(api, regions):
    with time_machine.travel(LATER, tick=False):
        rows = api.get("/api/v1/sla/").json()
    assert {row["month"] for row in rows} == {"2026-12"}


@pytest.mark.parametrize("month", ["2026-13", "2026-1", "november", "", "2026-11-01"])
def test_a_bad_month_is_a_400_with_a_sentence(api, regions, month):
    response = api.get(f"/api/v1/sla/?month={month}")
    assert response.status_code == 400
    assert "is not a month; use YYYY-MM" in response.json()["detail"]


def test_the_ledger_takes_a_fixed_number_of_queries(api, regions, announced, django_assert_max_num_queries):
    for day in range(1, 20):
        incident(regions, datetime(2026, 11, day, 10, 0, tzinfo=UTC), datetime(2026, 11, day, 10, 5, tzinfo=UTC))
    # The regions, the incidents, the incidents' regions and the windows.
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(4):
        rows = api.get("/api/v1/sla/?month=2026-11").json()
    assert next(r for r in rows if r["region"] == "eu-frankfurt")["downtime_minutes"] == 95
