"""Each region's state now: the worst of its running windows and open incidents."""

from datetime import timedelta

from maintenance import incidents, lifecycle
from maintenance.models import Window
from maintenance.state import RegionState, overall, region_states, worst
from tests.conftest import NOW


def test_worst_orders_states_from_operational_to_major_outage():
    assert worst([]) == RegionState.OPERATIONAL
    assert worst([RegionState.UNDER_MAINTENANCE, RegionState.DEGRADED_PERFORMANCE]) == RegionState.DEGRADED_PERFORMANCE
    assert worst([RegionState.OVERRUNNING, RegionState.DEGRADED_PERFORMANCE]) == RegionState.OVERRUNNING
    assert worst([RegionState.OVERRUNNING, RegionState.PARTIAL_OUTAGE]) == RegionState.PARTIAL_OUTAGE
    assert worst([RegionState.MAJOR_OUTAGE, RegionState.PARTIAL_OUTAGE]) == RegionState.MAJOR_OUTAGE


def test_overlapping_window_and_incidents_the_worst_one_wins(regions, window, django_assert_max_num_queries):
    frankfurt = regions["eu-frankfurt"]
    lifecycle.announce(window, now=NOW)
    lifecycle.start(window, now=window.starts_at)
    during = window.starts_at + timedelta(minutes=10)

    assert region_states(during)[frankfurt] == RegionState.UNDER_MAINTENANCE
    minor = incidents.open_incident("Slow", [frankfurt], "minor", "Slow pages.", started_at=during, now=during)
    assert region_states(during)[frankfurt] == RegionState.DEGRADED_PERFORMANCE
    # The same window past its end is overrunning, which is worse than degraded performance.
    assert region_states(window.ends_at + timedelta(minutes=1))[frankfurt] == RegionState.OVERRUNNING
    major = incidents.open_incident(
        "Errors", [frankfurt, regions["us"]], "major", "Errors.", started_at=during, now=during
    )
    critical = incidents.open_incident("Down", [frankfurt], "critical", "Down.", started_at=during, now=during)
    with django_assert_max_num_queries(3):
        states = region_states(during)
    assert states[frankfurt] == RegionState.MAJOR_OUTAGE
    assert states[regions["us"]] == RegionState.PARTIAL_OUTAGE
    assert states[regions["japan"]] == RegionState.OPERATIONAL
    assert overall(states) == RegionState.MAJOR_OUTAGE

    incidents.resolve(critical, now=during + timedelta(minutes=1))
    incidents.resolve(major, now=during + timedelta(minutes=1))
    incidents.resolve(minor, now=during + timedelta(minutes=1))
    assert region_states(during)[frankfurt] == RegionState.UNDER_MAINTENANCE
    lifecycle.complete(window, now=window.ends_at)
    assert Window.objects.get(pk=window.pk).status == Window.Status.COMPLETED
    assert region_states(window.ends_at)[frankfurt] == RegionState.OPERATIONAL


def test_two_running_windows_in_one_region_the_overrunning_one_wins(regions, window):
    india = regions["india"]  # the window fixture plans every region's November window
    first = Window.objects.get(region=india, month="2026-11-01")
    lifecycle.start(first, now=first.starts_at)
    extra_start = first.ends_at - timedelta(minutes=10)
    extra = Window.objects.create(
        region=india, month="2026-11-01", starts_at=extra_start, ends_at=extra_start + timedelta(minutes=40)
    )
    lifecycle.start(extra, now=extra_start)
    assert region_states(first.ends_at - timedelta(minutes=1))[india] == RegionState.UNDER_MAINTENANCE
    assert region_states(first.ends_at + timedelta(minutes=1))[india] == RegionState.OVERRUNNING
    lifecycle.complete(first, now=first.ends_at + timedelta(minutes=2))
    assert region_states(first.ends_at + timedelta(minutes=3))[india] == RegionState.UNDER_MAINTENANCE
