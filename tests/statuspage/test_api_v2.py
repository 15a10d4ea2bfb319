"""/api/v2/: the same shape as Statuspage's public API v2, checked against a fixture modelled on its documentation."""

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import resolve
from django.utils import timezone

from maintenance import incidents, lifecycle, sla
from maintenance.models import Incident, IncidentUpdate, Window
from maintenance.rule import Month
from statuspage.api.v2 import views as v2_views

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
            check_update(update, incident)
    for maintenance in body.get("scheduled_maintenances", []):
        assert maintenance["status"] in VALUES["maintenance_status"] and maintenance["impact"] in VALUES["impact"]
        components += maintenance["components"]
        for update in maintenance["incident_updates"]:
            assert update["incident_id"] == maintenance["id"]
            assert update["status"] in VALUES["maintenance_status"]
            check_update(update, maintenance)
    for component in components:
        assert component["status"] in VALUES["component_status"]
        assert component["page_id"] == body["page"]["id"]


def check_update(update, parent):
    """Statuspage's update fields: the affected components are the parent's, by id and name; no tweets."""
    named = {(c["id"], c["name"]) for c in parent["components"]}
    assert {(c["code"], c["name"]) for c in update["affected_components"]} == named
    for component in update["affected_components"]:
        assert {component["old_status"], component["new_status"]} <= VALUES["component_status"]
    assert isinstance(update["deliver_notifications"], bool)
    assert update["custom_tweet"] is None and update["tweet_id"] is None


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
        incident=incident,
        status="monitoring",
        body="A fix is out.",
        created_at=japan.ends_at + timedelta(minutes=10),
        deliver_notifications=False,  # posted without a notice to subscribers
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


def test_an_uncached_summary_takes_a_fixed_number_of_queries(api, busy, regions, django_assert_num_queries):
    # The tables' fingerprint, the regions, the open windows with their events (2), the open incidents with
    # their updates and regions (3), and the newest change; more incidents and windows add none.
    with django_assert_num_queries(8):
        api.get("/api/v2/summary.json")
    for n in range(5):
        incidents.open_incident(f"More {n}", [regions["india"], regions["japan"]], "minor", "Looking.")
    lifecycle.announce(Window.objects.filter(status="planned", starts_at__gt=timezone.now()).order_by("starts_at")[0])
    with django_assert_num_queries(8):
        body = api.get("/api/v2/summary.json").json()
    assert len(body["incidents"]) == 6 and len(body["scheduled_maintenances"]) == 3
    components = {c["name"]: c["status"] for c in body["components"]}
    assert components["India"] == "degraded_performance"


def test_the_page_was_updated_with_the_newest_change(api, busy):
    newest = max(
        model.objects.latest("updated_at").updated_at for model in (Incident, Window, type(busy["japan"].region))
    )
    body = api.get("/api/v2/summary.json").json()
    assert body["page"]["updated_at"] == newest.strftime("%Y-%m-%dT%H:%M:%S.") + f"{newest.microsecond // 1000:03d}Z"


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


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_each_v2_endpoint_is_served_by_its_own_named_view_class(endpoint):
    view_class = resolve(f"/api/v2/{endpoint}").func.view_class
    assert view_class.__module__ == "statuspage.api.v2.views"
    assert getattr(v2_views, view_class.__name__) is view_class
    assert view_class.__qualname__ == view_class.__name__
    assert view_class.operation_id == "v2_" + endpoint.removesuffix(".json").replace("/", "_").replace("-", "_")


def affected(update):
    return [(c["name"], c["old_status"], c["new_status"]) for c in update["affected_components"]]


def test_incident_updates_carry_statuspages_update_fields(api, busy, history, regions):
    incidents = {i["name"]: i for i in api.get("/api/v2/incidents.json").json()["incidents"]}
    payments = incidents["Payments failing"]["incident_updates"]  # major impact, newest update first
    assert [(u["status"], affected(u)) for u in payments] == [
        ("monitoring", [("United States", "partial_outage", "partial_outage")]),
        ("investigating", [("United States", "operational", "partial_outage")]),
    ]
    assert payments[0]["affected_components"][0]["code"] == f"region-{regions['us'].pk}"
    assert [(u["deliver_notifications"], u["custom_tweet"], u["tweet_id"]) for u in payments] == [
        (False, None, None),  # the monitoring update was posted without notifying
        (True, None, None),
    ]
    logins = incidents["Slow logins"]["incident_updates"]  # minor impact, resolved
    assert [affected(u) for u in logins] == [
        [
            ("EU (Ireland)", "degraded_performance", "operational"),
            ("EU (Frankfurt)", "degraded_performance", "operational"),
        ],
        [
            ("EU (Ireland)", "operational", "degraded_performance"),
            ("EU (Frankfurt)", "operational", "degraded_performance"),
        ],
    ]


def test_maintenance_updates_say_what_changed_and_who_was_told(api, busy):
    maintenances = api.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"]
    japan = next(m for m in maintenances if m["id"] == f"window-{busy['japan'].pk}")
    assert [(u["status"], affected(u), u["deliver_notifications"]) for u in japan["incident_updates"]] == [
        ("in_progress", [("Japan", "operational", "under_maintenance")], True),
        ("scheduled", [("Japan", "operational", "operational")], True),
    ]
    lifecycle.extend(busy["japan"], 30)
    lifecycle.complete(busy["japan"])
    japan = api.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"]
    japan = next(m for m in japan if m["id"] == f"window-{busy['japan'].pk}")
    assert [(u["status"], affected(u), u["deliver_notifications"]) for u in japan["incident_updates"][:2]] == [
        ("completed", [("Japan", "partial_outage", "operational")], True),  # completed while overrunning
        ("in_progress", [("Japan", "partial_outage", "partial_outage")], True),  # a running extension: a notice
    ]


def test_an_unannounced_window_that_runs_is_a_scheduled_maintenance(api, history, clock, regions):
    window = Window.objects.get(region__slug="singapore", month="2026-11-01")
    assert window.announced_at is None
    clock.move_to(window.starts_at)
    lifecycle.start(window)
    ident = f"window-{window.pk}"
    for endpoint in ["scheduled-maintenances.json", "scheduled-maintenances/active.json", "summary.json"]:
        shown = {m["id"]: m for m in api.get(f"/api/v2/{endpoint}").json()["scheduled_maintenances"]}
        assert shown[ident]["status"] == "in_progress", endpoint
        assert [c["status"] for c in shown[ident]["components"]] == ["under_maintenance"]
        assert [affected(u) for u in shown[ident]["incident_updates"]] == [
            [("Singapore", "operational", "under_maintenance")]
        ]
    assert api.get("/api/v2/scheduled-maintenances/upcoming.json").json()["scheduled_maintenances"] == []
    clock.move_to(window.starts_at + timedelta(minutes=40))
    lifecycle.complete(window)
    recent = {
        m["id"]: m["status"] for m in api.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"]
    }
    assert recent[ident] == "completed"
    # Still downtime in the SLA: it was never announced.
    (row,) = sla.ledger([Month(2026, 11)], window.starts_at + timedelta(hours=1), regions=[regions["singapore"]])
    assert row.downtime == timedelta(minutes=40)


def test_v2_answers_in_the_default_language_whatever_the_visitor_asks(api, busy, client):
    english = api.get("/api/v2/summary.json").json()
    for asked in [{"HTTP_ACCEPT_LANGUAGE": "de"}, {"HTTP_COOKIE": "django_language=de"}]:
        response = api.get("/api/v2/summary.json", **asked)
        assert response["Content-Language"] == "en"
        assert response.json() == english
    japan = next(m for m in english["scheduled_maintenances"] if m["id"] == f"window-{busy['japan'].pk}")
    assert japan["name"] == "Japan: Monthly release"
    assert japan["incident_updates"][0]["body"] == "Japan: maintenance started"
    # The pages stay localized.
    page = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert page["Content-Language"] == "de" and "Monatliches Release" in page.content.decode()


@pytest.mark.parametrize("path", ["/api/v2/pages.json", "/api/v1/nothing/", "/api/v3/summary.json", "/api/"])
def test_unknown_api_paths_answer_a_json_404(api, db, path):
    response = api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_unknown_page_paths_still_answer_the_html_404(client, db):
    response = client.get("/no-such-page/")
    assert response.status_code == 404 and response["Content-Type"].startswith("text/html")


def test_a_move_notifies_only_once_the_window_was_announced(api, history, clock):
    quiet = Window.objects.get(region__slug="singapore", month="2026-11-01")
    lifecycle.reschedule(quiet, quiet.starts_at + timedelta(hours=1), quiet.ends_at + timedelta(hours=1))
    told = Window.objects.get(region__slug="us", month="2026-12-01")
    lifecycle.announce(told)
    clock.shift(timedelta(minutes=1))
    lifecycle.reschedule(told, told.starts_at + timedelta(hours=1), told.ends_at + timedelta(hours=1))
    clock.move_to(quiet.starts_at + timedelta(hours=1))
    lifecycle.start(quiet)  # never announced
    shown = {m["id"]: m for m in api.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"]}
    assert [(u["status"], u["deliver_notifications"]) for u in shown[f"window-{told.pk}"]["incident_updates"]] == [
        ("scheduled", True),  # the move of an announced window: a notice
        ("scheduled", True),  # the announcement
    ]
    assert [(u["status"], u["deliver_notifications"]) for u in shown[f"window-{quiet.pk}"]["incident_updates"]] == [
        ("in_progress", True),  # the start: a notice to those who chose start and end notices
        ("scheduled", False),  # moved while only planned: nobody was told
    ]
