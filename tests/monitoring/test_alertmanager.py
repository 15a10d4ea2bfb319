"""A real Alertmanager sends its webhook to a live Offpeak: the incident opens, resolves and counts in the SLA."""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import Permission, User

from maintenance.models import AuditEvent, Incident
from maintenance.rule import Month
from maintenance.sla import ledger
from statuspage.models import ApiToken
from tests.monitoring.servers import Alertmanager, runnable, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def alertmanager(tmp_path):
    server = Alertmanager(tmp_path, runnable("prometheus-alertmanager"))
    yield server
    server.stop()


def test_alertmanager_opens_and_resolves_an_incident_and_the_ledger_counts_that_span(live_server, alertmanager):
    user = User.objects.create_user("alertmanager")
    user.user_permissions.add(Permission.objects.get(codename="automate_incidents"))
    token = ApiToken.objects.create(user=user)[1]
    alertmanager.start_with(f"{live_server.url}/api/v1/automation/alertmanager/", token)

    # Whole seconds, a few minutes back, inside one UTC month whatever the day the test runs.
    now = datetime.now(UTC).replace(microsecond=0)
    starts = max(now - timedelta(minutes=7), now.replace(day=1, hour=0, minute=0, second=0))
    ends = now - timedelta(seconds=2) if now - timedelta(seconds=2) > starts else now
    alert = {
        "labels": {"alertname": "ApiDown", "region": "eu-frankfurt", "severity": "critical"},
        "annotations": {"summary": "The API in Frankfurt answers 5xx", "description": "5xx above 50% for 5 minutes"},
        "startsAt": starts.isoformat().replace("+00:00", "Z"),
    }
    alertmanager.post_alerts([alert])
    incident = wait_for(
        lambda: Incident.objects.filter(source="alertmanager").first(), 60, "the incident opening", alertmanager
    )
    assert (incident.title, incident.impact, incident.status, incident.started_at) == (
        "The API in Frankfurt answers 5xx",
        "critical",
        "investigating",
        starts,
    )
    assert list(incident.regions.values_list("slug", flat=True)) == ["eu-frankfurt"]

    alertmanager.post_alerts([{**alert, "endsAt": ends.isoformat().replace("+00:00", "Z")}])
    wait_for(
        lambda: Incident.objects.filter(pk=incident.pk, status="resolved").exists(), 60, "the resolution", alertmanager
    )
    incident.refresh_from_db()
    assert incident.resolved_at == ends
    assert Incident.objects.count() == 1
    assert set(AuditEvent.objects.filter(incident=incident).values_list("actor_label", "action")) == {
        ("automation:alertmanager", "incident_open"),
        ("automation:alertmanager", "incident_resolve"),
    }
    row = next(
        r for r in ledger([Month(starts.year, starts.month)], datetime.now(UTC)) if r.region.slug == "eu-frankfurt"
    )
    assert row.downtime == ends - starts
