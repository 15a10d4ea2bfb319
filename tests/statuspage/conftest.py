from datetime import UTC, datetime, timedelta

import pytest
from rest_framework.test import APIClient

from maintenance import lifecycle, planning
from maintenance.models import Incident, IncidentUpdate, Window
from statuspage.models import ApiToken
from tests.conftest import NOW

# Mid-December 2026: November is over, so its SLA figures are final.
LATER = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)


def token_client(user):
    """An API client that sends ``user``'s token, as a deploy pipeline does."""
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {ApiToken.objects.create(user=user)[1]}")
    return client


@pytest.fixture
def api():
    """An API client without credentials, as the public calls."""
    return APIClient()


@pytest.fixture
def pipeline(manager):
    """An API client with the release manager's token."""
    return token_client(manager)


def run_window(window, *, overrun=False, open_=False):
    """Announce a window a week ahead, start it on time and complete it (a little late when ``overrun``)."""
    lifecycle.announce(window, "release manager", now=window.starts_at - timedelta(days=7))
    lifecycle.start(window, "pipeline", now=window.starts_at)
    if open_:
        return
    end = window.ends_at + timedelta(minutes=25) if overrun else window.ends_at - timedelta(minutes=5)
    lifecycle.complete(window, "pipeline", now=end)


@pytest.fixture
def history(regions, clock):
    """Windows from August 2026 (three past months run, with a late one) to a year ahead, and two incidents."""
    planning.plan(datetime(2026, 8, 1, tzinfo=UTC), 16)
    past = Window.objects.filter(starts_at__lt=NOW).select_related("region").order_by("starts_at")
    for window in past:
        run_window(window, overrun=window.region.slug == "japan" and window.month.month == 10)
    incident = Incident.objects.create(
        title="Slow logins",
        impact=Incident.Impact.MINOR,
        status=Incident.Status.RESOLVED,
        started_at=datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 10, 5, 9, 30, tzinfo=UTC),
    )
    incident.regions.set([regions["eu-frankfurt"], regions["eu-ireland"]])
    IncidentUpdate.objects.create(
        incident=incident, status="investigating", body="Looking.", created_at=incident.started_at
    )
    IncidentUpdate.objects.create(incident=incident, status="resolved", body="Fixed.", created_at=incident.resolved_at)
    return incident
