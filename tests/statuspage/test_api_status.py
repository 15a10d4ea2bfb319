import json
from datetime import timedelta

from django.contrib.staticfiles import finders

from maintenance import lifecycle
from maintenance.models import Window


def test_status_gives_overall_and_each_regions_state_and_next_window(api, history, clock):
    window = Window.objects.get(region__slug="japan", month="2026-11-01")
    lifecycle.announce(window)
    clock.move_to(window.starts_at + timedelta(minutes=2))
    lifecycle.start(window)
    response = api.get("/api/v1/status/")
    assert response.status_code == 200
    body = response.json()
    assert body["state"] == "under_maintenance" and body["description"] == "Under maintenance"
    assert [r["slug"] for r in body["regions"]] == [
        "us",
        "eu-ireland",
        "eu-frankfurt",
        "australia",
        "singapore",
        "japan",
        "india",
    ]
    japan = body["regions"][5]
    assert japan["state"] == "under_maintenance" and japan["timezone"] == "Asia/Tokyo"
    assert japan["next_window"] == {
        "id": window.pk,
        "starts_at": "2026-11-28T13:00:00Z",
        "ends_at": "2026-11-28T14:00:00Z",
        "status": "in_progress",
        "sequence": 1,
        "title": "Monthly release",
    }
    clock.move_to(window.ends_at + timedelta(minutes=1))
    assert api.get("/api/v1/status/japan/").json()["state"] == "overrunning"


def test_status_in_german_describes_states_in_german(api, history):
    body = api.get("/api/v1/status/", HTTP_ACCEPT_LANGUAGE="de").json()
    assert body["state"] == "operational" and body["description"] == "Betriebsbereit"


def test_unknown_region_status_is_404_with_a_detail(api, history):
    response = api.get("/api/v1/status/atlantis/")
    assert response.status_code == 404 and response.json()["detail"]


def test_status_answers_conditional_get(api, history):
    first = api.get("/api/v1/status/")
    assert api.get("/api/v1/status/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_schema_describes_every_public_endpoint_with_its_errors(api, history):
    response = api.get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    paths = schema["paths"]
    for path in [
        "/api/v1/status/",
        "/api/v2/summary.json",
        "/api/v2/status.json",
        "/api/v2/components.json",
        "/api/v2/incidents.json",
        "/api/v2/incidents/unresolved.json",
        "/api/v2/scheduled-maintenances.json",
        "/api/v2/scheduled-maintenances/upcoming.json",
        "/api/v2/scheduled-maintenances/active.json",
    ]:
        assert paths[path]["get"]["summary"], path
        assert "200" in paths[path]["get"]["responses"], path
    assert "404" in paths["/api/v1/status/{slug}/"]["get"]["responses"]
    assert "400" in paths["/api/v1/windows/"]["get"]["responses"]


def test_docs_ui_is_served_from_local_static_files(client, history):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower() and "<script>" not in html
    assert finders.find("drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js")  # shipped, served by whitenoise
