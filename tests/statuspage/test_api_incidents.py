"""Incidents in the v1 API: public reads, release-manager writes."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from maintenance import incidents
from maintenance.models import AuditEvent, Incident
from tests.conftest import NOW
from tests.statuspage.conftest import token_client

pytestmark = pytest.mark.usefixtures("clock")


def z(instant):
    return instant.isoformat().replace("+00:00", "Z")


def test_open_update_and_resolve_over_the_api(regions, pipeline, manager, clock):
    created = pipeline.post(
        "/api/v1/incidents/",
        {
            "title": "Login errors",
            "regions": ["eu-frankfurt", "eu-ireland"],
            "impact": "major",
            "body": "Some logins fail.",
            "started_at": z(NOW - timedelta(minutes=10)),
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    incident_id = created.json()["id"]
    assert created.json() == {
        "id": incident_id,
        "title": "Login errors",
        "regions": ["eu-ireland", "eu-frankfurt"],
        "impact": "major",
        "status": "investigating",
        "started_at": z(NOW - timedelta(minutes=10)),
        "resolved_at": None,
        "source": "",
        "updates": [
            {
                "status": "investigating",
                "body": "Some logins fail.",
                "created_at": z(NOW),
                "deliver_notifications": True,
            }
        ],
        "created_at": z(NOW),
        "updated_at": z(NOW),
    }
    clock.move_to(NOW + timedelta(minutes=5))
    patched = pipeline.patch(
        f"/api/v1/incidents/{incident_id}/", {"status": "identified", "body": "A bad certificate."}, format="json"
    )
    assert (patched.status_code, patched.json()["status"]) == (200, "identified")
    clock.move_to(NOW + timedelta(minutes=8))
    posted = pipeline.post(
        f"/api/v1/incidents/{incident_id}/updates/",
        {"status": "monitoring", "body": "Replaced.", "impact": "minor"},
        format="json",
    )
    assert (posted.json()["status"], posted.json()["impact"]) == ("monitoring", "minor")
    clock.move_to(NOW + timedelta(minutes=20))
    resolved = pipeline.post(f"/api/v1/incidents/{incident_id}/resolve/", {"body": "All good."}, format="json")
    assert resolved.status_code == 200
    body = resolved.json()
    assert (body["status"], body["resolved_at"]) == ("resolved", z(NOW + timedelta(minutes=20)))
    assert [(u["status"], u["body"]) for u in body["updates"]] == [
        ("resolved", "All good."),
        ("monitoring", "Replaced."),
        ("identified", "A bad certificate."),
        ("investigating", "Some logins fail."),
    ]
    assert list(AuditEvent.objects.filter(incident_id=incident_id).order_by("id").values_list("action", "actor")) == [
        ("incident_open", manager.pk),
        ("incident_update", manager.pk),
        ("incident_update", manager.pk),
        ("incident_resolve", manager.pk),
    ]
    again = pipeline.patch(f"/api/v1/incidents/{incident_id}/", {"status": "monitoring", "body": "?"}, format="json")
    assert (again.status_code, again.json()) == (409, {"detail": "The incident is resolved; open a new one."})


def test_anyone_may_read_incidents_in_few_queries(regions, django_assert_max_num_queries):
    for number in range(5):
        incidents.open_incident(f"Incident {number}", [regions["us"], regions["japan"]], "minor", "Slow.", now=NOW)
    with django_assert_max_num_queries(4):
        response = APIClient().get("/api/v1/incidents/")
    assert response.status_code == 200
    assert [row["title"] for row in response.json()["results"]] == [f"Incident {n}" for n in range(5)][::-1]
    detail = APIClient().get(f"/api/v1/incidents/{response.json()['results'][0]['id']}/")
    assert detail.json()["regions"] == ["us", "japan"]


def test_writes_need_a_release_manager(regions):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW)
    anonymous = APIClient()
    assert anonymous.post("/api/v1/incidents/", {"title": "x"}, format="json").status_code == 401
    assert anonymous.post(f"/api/v1/incidents/{incident.pk}/resolve/").status_code == 401
    customer = token_client(User.objects.create_user("c"))
    assert customer.patch(f"/api/v1/incidents/{incident.pk}/", {"status": "identified", "body": "x"}).status_code == 403
    assert customer.post(f"/api/v1/incidents/{incident.pk}/resolve/").status_code == 403
    assert Incident.objects.get().status == "investigating"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "x", "regions": ["atlantis"], "body": "x"}, "regions"),
        ({"title": "x", "regions": [], "body": "x"}, "regions"),
        ({"title": "x", "regions": ["us"], "impact": "apocalyptic", "body": "x"}, "impact"),
        ({"title": "x", "regions": ["us"]}, "body"),
        ({"title": "x", "regions": ["us"], "body": "x", "status": "resolved"}, "status"),
        ({"title": "x", "regions": ["us"], "body": "x", "started_at": "2030-01-01T00:00:00Z"}, "started_at"),
        ({"title": "x", "regions": ["us"], "body": "x", "deliver_notifications": "sometimes"}, "deliver_notifications"),
    ],
)
def test_a_bad_incident_is_a_400_naming_the_field(regions, pipeline, body, field):
    response = pipeline.post("/api/v1/incidents/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not Incident.objects.exists()


def test_an_update_can_be_posted_without_notifying_subscribers(regions, pipeline):
    created = pipeline.post(
        "/api/v1/incidents/",
        {"title": "Slow", "regions": ["us"], "body": "Slow.", "deliver_notifications": False},
        format="json",
    )
    incident_id = created.json()["id"]
    pipeline.post(
        f"/api/v1/incidents/{incident_id}/updates/", {"status": "identified", "body": "Found."}, format="json"
    )
    resolved = pipeline.post(
        f"/api/v1/incidents/{incident_id}/resolve/", {"body": "Fixed.", "deliver_notifications": False}, format="json"
    )
    assert [(u["status"], u["deliver_notifications"]) for u in resolved.json()["updates"]] == [
        ("resolved", False),
        ("identified", True),
        ("investigating", False),
    ]


def test_resolving_before_the_start_is_a_409(regions, pipeline):
    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW)
    response = pipeline.post(
        f"/api/v1/incidents/{incident.pk}/resolve/", {"resolved_at": z(NOW - timedelta(hours=1))}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "An incident cannot be resolved before it started."
