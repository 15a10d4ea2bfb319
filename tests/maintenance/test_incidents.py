"""The incidents service: open, update and resolve, each with its audit event."""

from datetime import timedelta

import pytest

from maintenance import incidents
from maintenance.incidents import IncidentError
from maintenance.models import AuditEvent, Incident
from tests.conftest import NOW


def test_open_update_resolve_writes_updates_and_audit_events(regions, admin_user):
    started = NOW - timedelta(minutes=30)
    incident = incidents.open_incident(
        "API errors",
        [regions["us"], regions["japan"]],
        "major",
        "We are looking into it.",
        admin_user,
        started_at=started,
        now=NOW,
    )
    incidents.post_update(
        incident, "identified", "A bad deploy.", admin_user, impact="critical", now=NOW + timedelta(minutes=5)
    )
    incidents.resolve(incident, "Rolled back.", admin_user, now=NOW + timedelta(minutes=20))
    incident.refresh_from_db()
    assert (incident.status, incident.impact, incident.started_at, incident.resolved_at) == (
        "resolved",
        "critical",
        started,
        NOW + timedelta(minutes=20),
    )
    assert list(incident.updates.order_by("created_at").values_list("status", "body")) == [
        ("investigating", "We are looking into it."),
        ("identified", "A bad deploy."),
        ("resolved", "Rolled back."),
    ]
    events = list(AuditEvent.objects.filter(incident=incident).order_by("created_at"))
    assert [(e.action, e.actor, e.actor_label) for e in events] == [
        ("incident_open", admin_user, "admin"),
        ("incident_update", admin_user, "admin"),
        ("incident_resolve", admin_user, "admin"),
    ]
    assert events[0].changes["regions"] == [None, ["japan", "us"]]
    assert events[1].changes == {"status": ["investigating", "identified"], "impact": ["major", "critical"]}
    assert events[2].changes == {
        "status": ["identified", "resolved"],
        "resolved_at": [None, (NOW + timedelta(minutes=20)).isoformat()],
    }


def test_resolving_twice_changes_nothing(regions):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW)
    incidents.resolve(incident, now=NOW + timedelta(minutes=1))
    incidents.resolve(incident, now=NOW + timedelta(minutes=9))
    incident.refresh_from_db()
    assert incident.resolved_at == NOW + timedelta(minutes=1)
    assert incident.updates.count() == 2
    assert AuditEvent.objects.filter(incident=incident, action="incident_resolve").count() == 1


def test_an_update_of_a_resolved_incident_is_refused(regions):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW)
    incidents.resolve(incident, now=NOW)
    with pytest.raises(IncidentError, match="resolved; open a new one"):
        incidents.post_update(incident, "monitoring", "Still slow?", now=NOW)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": []}, "at least one region"),
        ({"started_at": NOW + timedelta(minutes=1)}, "cannot start in the future"),
        ({"status": "resolved"}, "Open the incident first"),
    ],
)
def test_open_refuses_bad_input(regions, kwargs, message):
    arguments = {"regions": [regions["us"]], "started_at": None, "status": "investigating", **kwargs}
    with pytest.raises(IncidentError, match=message):
        incidents.open_incident(
            "Slow",
            arguments["regions"],
            "minor",
            "Slow.",
            status=arguments["status"],
            started_at=arguments["started_at"],
            now=NOW,
        )
    assert not Incident.objects.exists()


def test_resolve_before_the_start_is_refused(regions):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW)
    with pytest.raises(IncidentError, match="before it started"):
        incidents.resolve(incident, resolved_at=NOW - timedelta(minutes=1), now=NOW)


def test_edit_changes_what_the_incident_says_with_one_audit_event_of_the_diff(regions, admin_user):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW - timedelta(hours=1))
    incidents.edit(
        incident,
        title="Slow search",
        impact="major",
        started_at=NOW - timedelta(hours=2),
        regions=[regions["japan"], regions["us"]],
        actor=admin_user,
        now=NOW,
    )
    incident.refresh_from_db()
    assert (incident.title, incident.impact, incident.started_at, incident.status) == (
        "Slow search",
        "major",
        NOW - timedelta(hours=2),
        "investigating",
    )
    assert sorted(incident.regions.values_list("slug", flat=True)) == ["japan", "us"]
    event = AuditEvent.objects.get(incident=incident, action="incident_edit")
    assert (event.actor, event.created_at) == (admin_user, NOW)
    assert event.changes == {
        "title": ["Slow", "Slow search"],
        "impact": ["minor", "major"],
        "started_at": [str(NOW - timedelta(hours=1)), str(NOW - timedelta(hours=2))],
        "regions": [["us"], ["japan", "us"]],
    }


def test_edit_that_changes_nothing_writes_no_audit_event(regions):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW)
    incidents.edit(incident, title="Slow", impact="minor", started_at=NOW, regions=[regions["us"]], now=NOW)
    incidents.edit(incident, now=NOW)
    assert list(AuditEvent.objects.filter(incident=incident).values_list("action", flat=True)) == ["incident_open"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"regions": []}, "at least one region"),
        ({"started_at": NOW + timedelta(minutes=1)}, "cannot start in the future"),
        ({"started_at": NOW - timedelta(minutes=30)}, "cannot start after it was resolved"),
    ],
)
def test_edit_refuses_bad_input_and_changes_nothing(regions, kwargs, message):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW - timedelta(hours=2))
    incidents.resolve(incident, now=NOW - timedelta(hours=1))
    with pytest.raises(IncidentError, match=message):
        incidents.edit(incident, title="Renamed", now=NOW, **kwargs)
    incident.refresh_from_db()
    assert (incident.title, incident.started_at) == ("Slow", NOW - timedelta(hours=2))
    assert list(incident.regions.values_list("slug", flat=True)) == ["us"]
    assert not AuditEvent.objects.filter(incident=incident, action="incident_edit").exists()
