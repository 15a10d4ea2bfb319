"""/api/v2/: the same shape as Statuspage's public API v2, checked against a fixture modelled on its documentation."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest

from maintenance import lifecycle
from maintenance.models import Incident, IncidentUpdate, Window

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "statuspage_v2_summary.json").read_text())
TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
VALUES = {
    "indicator": {"none", "minor", "major", "critical", "maintenance"},
    "component_status": {"operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"},
    "incident_status": {"investigating", "identified", "monitoring", "resolved", "postmortem"},
    "maintenance_status": {"scheduled", "in_progress", "verifying", "completed"},
    "impact": {"none", "minor", "major", "critical", "maintenance"},
}


def same_shape(actual, expected, where="$"):
    """Every key of the documented example is there, no other key, and each value has the same JSON type."""
    if isinstance(expected, dict):
        assert isinstance(actual, dict), where
        assert set(actual) == set(expected), f"{where}: {sorted(set(actual) ^ set(expected))}"
        for key, value in expected.items():
            same_shape(actual[key], value, f"{where}.{key}")
    elif isinstance(expected, list):
        assert isinstance(actual, list), where
        for n, item in enumerate(actual):
            same_shape(item, expected[0], f"{where}[{n}]")
    elif expected is None:
        pass  # nullable in the documentation: either null or a value
    elif isinstance(expected, str) and TIME.match(expected):
        assert actual is None or TIME.match(actual), f"{where}: {actual!r}"
    else:
        assert actual is None or type(actual) is type(expected), f"{where}: {actual!r}"


def check_values(body):
    assert body["page"]["id"] and isinstance(body["page"]["id"], str)
    if "status" in body:
        assert body["status"]["indicator"] in VALUES["indicator"]
    components = list(body.get("components", []))
    for incident in body.get("incidents", []):
        assert incident["status"] in VALUES["incident_status"] and incident["impact"] in VALUES["impact"]
        components += incident["components"]
        for update in incident["incident_updates"]:
            assert update["incident_id"] == incident["id"] and update["status"] in VALUES["incident_status"]
    for maintenance in body.get("scheduled_maintenances", []):
        assert maintenance["status"] in VALUES["maintenance_status"] and maintenance["impact"] in VALUES["impact"]
        components += maintenance["components"]
        for update in maintenance["incident_updates"]:
            assert update["incident_id"] == maintenance["id"]
            assert update["status"] in VALUES["maintenance_status"]
    for component in components:
        assert component["status"] in VALUES["component_status"]
        assert component["page_id"] == body["page"]["id"]


@pytest.fixture
def busy(history, regions, clock):
    """Japan's November window running late, India's announced, an open incident with updates."""
    japan = Window.objects.get(region__slug="japan", month="2026-11-01")
    india = Window.objects.get(region__slug="india", month="2026-11-01")
    clock.move_to(japan.starts_at - timedelta(days=3))
    lifecycle.announce(japan)
    lifecycle.announce(india)
    clock.move_to(japan.starts_at)
    lifecycle.start(japan)
    clock.move_to(japan.ends_at + timedelta(minutes=20))
    incident = Incident.objects.create(
        title="Payments failing",
        impact=Incident.Impact.MAJOR,
        status=Incident.Status.MONITORING,
        started_at=japan.ends_at,
    )
    incident.regions.set([regions["us"]])
    IncidentUpdate.objects.create(incident=incident, status="investigating", body="Looking.", created_at=japan.ends_at)
    IncidentUpdate.objects.create(
        incident=incident, status="monitoring", body="A fix is out.", created_at=japan.ends_at + timedelta(minutes=10)
    )
    return {"japan": japan, "india": india, "incident": incident}


ENDPOINTS = {
    "summary.json": ["page", "components", "incidents", "scheduled_maintenances", "status"],
    "status.json": ["page", "status"],
    "components.json": ["page", "components"],
    "incidents.json": ["page", "incidents"],
    "incidents/unresolved.json": ["page", "incidents"],
    "scheduled-maintenances.json": ["page", "scheduled_maintenances"],
    "scheduled-maintenances/upcoming.json": ["page", "scheduled_maintenances"],
    "scheduled-maintenances/active.json": ["page", "scheduled_maintenances"],
}


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_every_v2_endpoint_has_statuspages_documented_shape(api, busy, endpoint):
    response = api.get(f"/api/v2/{endpoint}")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    body = response.json()
    assert list(body) == ENDPOINTS[endpoint]
    same_shape(body, {key: FIXTURE[key] for key in ENDPOINTS[endpoint]})
    check_values(body)


def test_summary_maps_offpeak_onto_statuspage(api, busy):
    body = api.get("/api/v2/summary.json").json()
    assert body["page"]["url"] == "http://127.0.0.1:8000" and body["page"]["time_zone"] == "Etc/UTC"
    components = {c["name"]: c for c in body["components"]}
    assert len(components) == 7 and [c["position"] for c in body["components"]] == list(range(1, 8))
    assert components["Japan"]["status"] == "partial_outage"  # overrunning: the overrun is downtime
    assert components["United States"]["status"] == "partial_outage"  # a major incident
    assert components["India"]["status"] == "operational"
    assert body["status"] == {"indicator": "major", "description": "Partial System Outage"}
    assert [i["name"] for i in body["incidents"]] == ["Payments failing"]
    incident = body["incidents"][0]
    assert incident["id"] == f"incident-{busy['incident'].pk}"
    assert incident["monitoring_at"] == "2026-11-28T14:10:00.000Z" and incident["resolved_at"] is None
    assert [u["body"] for u in incident["incident_updates"]] == ["A fix is out.", "Looking."]
    assert [c["name"] for c in incident["components"]] == ["United States"]
    maintenances = {m["id"]: m for m in body["scheduled_maintenances"]}
    japan = maintenances[f"window-{busy['japan'].pk}"]
    assert japan["status"] == "in_progress" and japan["impact"] == "maintenance"
    assert japan["scheduled_for"] == "2026-11-28T13:00:00.000Z"
    assert japan["scheduled_until"] == "2026-11-28T14:00:00.000Z"
    assert japan["shortlink"] == f"http://127.0.0.1:8000/windows/{busy['japan'].pk}/"
    assert [u["status"] for u in japan["incident_updates"]] == ["in_progress", "scheduled"]
    assert maintenances[f"window-{busy['india'].pk}"]["status"] == "scheduled"
    assert len(maintenances) == 2  # planned windows are not scheduled maintenances yet


def test_only_announced_windows_are_scheduled_maintenances(api, history):
    body = api.get("/api/v2/scheduled-maintenances.json").json()
    ids = {m["id"] for m in body["scheduled_maintenances"]}
    announced = Window.objects.filter(announced_at__isnull=False).exclude(status="cancelled")
    assert ids == {f"window-{w.pk}" for w in announced} and len(ids) == 21
    assert {m["status"] for m in body["scheduled_maintenances"]} == {"completed"}
    assert api.get("/api/v2/scheduled-maintenances/upcoming.json").json()["scheduled_maintenances"] == []
    window = Window.objects.get(region__slug="us", month="2026-12-01")
    lifecycle.announce(window)
    upcoming = api.get("/api/v2/scheduled-maintenances/upcoming.json").json()["scheduled_maintenances"]
    assert [m["id"] for m in upcoming] == [f"window-{window.pk}"]
    lifecycle.cancel(window)
    assert api.get("/api/v2/scheduled-maintenances/upcoming.json").json()["scheduled_maintenances"] == []


def test_active_maintenances_and_the_maintenance_indicator(api, history, clock):
    window = Window.objects.get(region__slug="singapore", month="2026-11-01")
    lifecycle.announce(window)
    clock.move_to(window.starts_at + timedelta(minutes=1))
    lifecycle.start(window)
    active = api.get("/api/v2/scheduled-maintenances/active.json").json()["scheduled_maintenances"]
    assert [(m["id"], m["status"]) for m in active] == [(f"window-{window.pk}", "in_progress")]
    assert api.get("/api/v2/status.json").json()["status"] == {
        "indicator": "maintenance",
        "description": "Service Under Maintenance",
    }
    component = next(c for c in api.get("/api/v2/components.json").json()["components"] if c["name"] == "Singapore")
    assert component["status"] == "under_maintenance"
    lifecycle.complete(window)
    assert api.get("/api/v2/scheduled-maintenances/active.json").json()["scheduled_maintenances"] == []
    assert api.get("/api/v2/status.json").json()["status"]["indicator"] == "none"


def test_incidents_lists_resolved_ones_and_unresolved_only_open_ones(api, busy, history):
    everything = api.get("/api/v2/incidents.json").json()["incidents"]
    assert [i["name"] for i in everything] == ["Payments failing", "Slow logins"]
    resolved = everything[1]
    assert resolved["status"] == "resolved" and resolved["resolved_at"] == "2026-10-05T09:30:00.000Z"
    assert resolved["shortlink"] == f"http://127.0.0.1:8000/history/?month=2026-10#incident-{history.pk}"
    assert [i["name"] for i in api.get("/api/v2/incidents/unresolved.json").json()["incidents"]] == ["Payments failing"]


def test_v2_answers_conditional_get_and_ignores_query_strings(api, history):
    first = api.get("/api/v2/summary.json", {"anything": "1"})
    assert first.status_code == 200
    assert api.get("/api/v2/summary.json", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_unknown_v2_endpoint_is_404(api, history):
    assert api.get("/api/v2/pages.json").status_code == 404


def test_ids_are_strings_and_stable(api, history):
    one = api.get("/api/v2/summary.json").json()
    two = api.get("/api/v2/summary.json").json()
    assert one["page"]["id"] == two["page"]["id"] and re.fullmatch(r"[0-9a-z]{12}", one["page"]["id"])
    assert all(isinstance(c["id"], str) for c in one["components"])


@pytest.mark.parametrize("endpoint", ["summary.json", "status.json", "components.json"])
def test_a_repeated_v2_request_is_served_from_the_page_cache_without_a_query(
    api, busy, endpoint, django_assert_num_queries
):
    first = api.get(f"/api/v2/{endpoint}")
    with django_assert_num_queries(0):
        again = api.get(f"/api/v2/{endpoint}")
    assert again.status_code == 200 and again.json() == first.json()
    assert again["ETag"] == first["ETag"]


def test_a_change_shows_in_the_v2_summary_at_once(api, busy):
    api.get("/api/v2/summary.json")
    incident = Incident.objects.exclude(status=Incident.Status.RESOLVED).get()
    incident.title = "Logins failing"
    incident.save()
    after = api.get("/api/v2/summary.json").json()
    assert "Logins failing" in [item["name"] for item in after["incidents"]]
