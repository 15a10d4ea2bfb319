"""A stored time at the edge of the calendar (9999-12-31T22:00Z, which is already year 10000 in Tokyo) renders on
every surface without a 500, and the API refuses to store such a time in the first place."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, User
from django.test import Client

from maintenance import audit, planning
from maintenance.models import Window
from tests.conftest import NOW
from tests.statuspage.conftest import token_client

EDGE = datetime(9999, 12, 31, 22, 0, tzinfo=UTC)


@pytest.fixture
def edge_windows(db):
    """Every region's November window moved (straight in the database) to the last hours of the calendar, announced
    before, with the audit events a reschedule and an extension there would have left."""
    with time_machine.travel(NOW, tick=False):
        planning.plan(NOW, 2)
    windows = list(Window.objects.filter(month="2026-11-01").select_related("region"))
    for window in windows:
        old_start, old_end = window.starts_at, window.ends_at
        Window.objects.filter(pk=window.pk).update(
            starts_at=EDGE,
            ends_at=EDGE + timedelta(minutes=60),
            announced_ends_at=EDGE + timedelta(minutes=60),
            status=Window.Status.SCHEDULED,
            announced_at=NOW - timedelta(days=1),
        )
        audit.record("rm", "announce", {}, NOW - timedelta(days=1), window=window)
        audit.record(
            "rm",
            "reschedule",
            {
                "starts_at": [old_start.isoformat(), EDGE.isoformat()],
                "ends_at": [old_end.isoformat(), "9999-12-31T23:00:00+00:00"],
            },
            NOW - timedelta(hours=2),
            window=window,
        )
        audit.record(
            "rm",
            "extend",
            {"ends_at": ["9999-12-31T23:00:00+00:00", "9999-12-31T23:59:59+00:00"]},
            NOW - timedelta(hours=1),
            window=window,
        )
    return Window.objects.filter(pk__in=[w.pk for w in windows]).select_related("region").order_by("region__position")


SURFACES = [
    "/",
    "/history/",
    "/sla/",
    "/sla.csv",
    "/feeds/maintenance.atom",
    "/feeds/maintenance.rss",
    "/feeds/maintenance.ics",
    "/feeds/japan.ics",
    "/api/v1/windows/",
    "/api/v1/status/",
    "/api/v1/status/japan/",
    "/api/v1/sla/",
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v2/components.json",
    "/api/v2/scheduled-maintenances.json",
    "/api/v2/scheduled-maintenances/upcoming.json",
    "/api/v2/scheduled-maintenances/active.json",
]


@pytest.mark.parametrize("path", SURFACES)
def test_every_surface_renders_a_time_at_the_calendars_edge(edge_windows, path):
    with time_machine.travel(NOW, tick=False):
        response = Client().get(path)
    assert response.status_code == 200, response.content[:500]


def test_each_window_page_renders_a_time_at_the_calendars_edge(edge_windows):
    with time_machine.travel(NOW, tick=False):
        statuses = {w.region.slug: Client().get(f"/windows/{w.pk}/").status_code for w in edge_windows}
    assert set(statuses.values()) == {200}, statuses


def test_the_feeds_render_after_the_window_is_moved_back(edge_windows):
    """Old audit events keep their far times: the news feed still renders them."""
    window = edge_windows.get(region__slug="japan")
    Window.objects.filter(pk=window.pk).update(
        starts_at=NOW + timedelta(days=5), ends_at=NOW + timedelta(days=5, hours=1)
    )
    with time_machine.travel(NOW, tick=False):
        for path in ("/feeds/maintenance.atom", "/feeds/maintenance.rss", f"/windows/{window.pk}/"):
            assert Client().get(path).status_code == 200, path


@pytest.fixture
def pipeline(db):
    user = User.objects.create_user("release-bot", password="x")
    user.groups.add(Group.objects.get(name="Release managers"))
    return token_client(user)


@pytest.mark.parametrize(
    "body",
    [{"minutes": 30}, {"minutes": 119}, {"until": "9999-12-31T23:59:00Z"}, {"until": "9999-12-31T23:30:00-05:00"}],
)
def test_extend_of_a_window_at_the_edge_is_a_400_naming_the_field(edge_windows, pipeline, body):
    window = edge_windows.get(region__slug="japan")
    with time_machine.travel(NOW, tick=False):
        response = pipeline.post(f"/api/v1/windows/{window.pk}/extend/", body, format="json")
    assert response.status_code == 400, response.content
    field = next(iter(body))
    assert list(response.json()["errors"]) == [field]
    assert field in response.json()["detail"]
    assert Window.objects.get(pk=window.pk).ends_at == EDGE + timedelta(minutes=60)
