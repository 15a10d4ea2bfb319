"""The pipeline API: token-authenticated window actions for release managers."""

import io
import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management import call_command
from django.db import connection
from django.utils import translation
from rest_framework.test import APIClient

from maintenance.models import AuditEvent, Region, Window
from statuspage.models import ApiToken
from tests.conftest import NOW
from tests.maintenance.transitions import ACTIONS, CASES, bring_to, new_times
from tests.statuspage.conftest import token_client

pytestmark = pytest.mark.usefixtures("clock")


def body_for(action, window):
    if action == "reschedule":
        starts_at, ends_at = new_times(window)
        return {"starts_at": starts_at.isoformat(), "ends_at": ends_at.isoformat(), "reason": "test"}
    if action == "extend":
        return {"minutes": 10, "reason": "test"}
    if action == "start":  # NOW is weeks before the window: the table is about states, so the start is forced
        return {"reason": "test", "force": True}
    return {"reason": "test"}


@pytest.mark.parametrize("action", ACTIONS)
def test_anonymous_callers_get_401_with_a_token_challenge(window, action):
    response = APIClient().post(f"/api/v1/windows/{window.pk}/{action}/", body_for(action, window), format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert "detail" in response.json()
    assert Window.objects.get(pk=window.pk).status == "planned"


def test_a_bad_token_gets_401(window):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    response = client.post(f"/api/v1/windows/{window.pk}/announce/")
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})


@pytest.mark.parametrize("action", ACTIONS)
def test_users_who_are_not_release_managers_get_403(window, action):
    client = token_client(User.objects.create_user("customer", password="x"))
    response = client.post(f"/api/v1/windows/{window.pk}/{action}/", body_for(action, window), format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "Only release managers may change windows and incidents."}
    assert not AuditEvent.objects.exists()


@pytest.mark.parametrize(("case", "expected"), CASES, ids=[f"{s}-{a}" for (s, a), _ in CASES])
def test_every_transition_through_the_api(window, pipeline, manager, case, expected):
    from_state, action = case
    window = bring_to(window, from_state)
    events_before = AuditEvent.objects.count()
    response = pipeline.post(f"/api/v1/windows/{window.pk}/{action}/", body_for(action, window), format="json")
    window.refresh_from_db()
    if expected == "refused":
        assert response.status_code == 409
        assert response.json()["detail"].startswith(f"The window is {window.get_status_display().lower()}, so it")
        assert window.status == from_state
        assert AuditEvent.objects.count() == events_before
        return
    assert response.status_code == 200
    body = response.json()
    assert (body["id"], body["status"], body["sequence"]) == (window.pk, window.status, window.sequence)
    if expected == "same":
        assert body["message"].startswith("The window is already")
        assert AuditEvent.objects.count() == events_before
    else:
        assert window.status == expected
        event = AuditEvent.objects.latest("id")
        assert (event.window_id, event.action, event.actor, event.actor_label, event.reason) == (
            window.pk,
            action,
            manager,
            "release-manager",
            "test",
        )


def test_a_repeated_call_is_idempotent(window, pipeline):
    first = pipeline.post(f"/api/v1/windows/{window.pk}/announce/")
    second = pipeline.post(f"/api/v1/windows/{window.pk}/announce/")
    assert (first.status_code, first.json()["message"]) == (200, "Announced.")
    assert (second.status_code, second.json()["message"]) == (200, "The window is already announced.")
    assert second.json()["sequence"] == 1
    assert AuditEvent.objects.filter(action="announce").count() == 1


def test_an_idempotency_key_replays_the_first_answer_without_a_second_change(window, pipeline):
    bring_to(window, "scheduled")
    url = f"/api/v1/windows/{window.pk}/extend/"
    first = pipeline.post(url, {"minutes": 15}, format="json", HTTP_IDEMPOTENCY_KEY="deploy-4711-extend")
    again = pipeline.post(url, {"minutes": 15}, format="json", HTTP_IDEMPOTENCY_KEY="deploy-4711-extend")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    window.refresh_from_db()
    assert window.duration == timedelta(minutes=75)
    assert AuditEvent.objects.filter(action="extend").count() == 1

    other = pipeline.post(url, {"minutes": 30}, format="json", HTTP_IDEMPOTENCY_KEY="deploy-4711-extend")
    assert other.status_code == 422
    assert "already used with another endpoint or body" in other.json()["detail"]
    elsewhere = pipeline.post(
        f"/api/v1/windows/{window.pk}/reschedule/",
        body_for("reschedule", window),
        format="json",
        HTTP_IDEMPOTENCY_KEY="deploy-4711-extend",
    )
    assert elsewhere.status_code == 422
    window.refresh_from_db()
    assert (window.duration, window.sequence) == (timedelta(minutes=75), 2)


def test_without_a_key_each_extend_extends_again(window, pipeline):
    bring_to(window, "scheduled")
    for _ in range(2):
        assert pipeline.post(f"/api/v1/windows/{window.pk}/extend/", {"minutes": 5}, format="json").status_code == 200
    window.refresh_from_db()
    assert window.duration == timedelta(minutes=70)


def test_a_reschedule_with_a_key_is_replayed(window, pipeline):
    body = body_for("reschedule", window)
    url = f"/api/v1/windows/{window.pk}/reschedule/"
    first = pipeline.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    second = pipeline.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 200
    assert first.json()["starts_at"] == second.json()["starts_at"] == body["starts_at"].replace("+00:00", "Z")
    assert AuditEvent.objects.filter(action="reschedule").count() == 1


@pytest.mark.parametrize(
    ("action", "body", "field"),
    [
        ("extend", {"minutes": 0}, "minutes"),
        ("extend", {"minutes": "lots"}, "minutes"),
        ("extend", {}, "minutes"),
        ("extend", {"minutes": 241}, "minutes"),
        ("reschedule", {"starts_at": "2026-12-05T21:00:00Z"}, "ends_at"),
        ("reschedule", {"starts_at": "2026-12-05T21:00:00Z", "ends_at": "2026-12-05T22:01:00Z"}, "ends_at"),
        ("reschedule", {"starts_at": "tomorrow", "ends_at": "2026-12-05T22:00:00Z"}, "starts_at"),
        ("announce", {"reason": "x" * 501}, "reason"),
    ],
)
def test_a_bad_body_is_a_400_naming_the_field(window, pipeline, action, body, field):
    bring_to(window, "scheduled")
    response = pipeline.post(f"/api/v1/windows/{window.pk}/{action}/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["detail"] and field in response.json()["errors"]


def test_a_bad_idempotency_key_is_a_400(window, pipeline):
    bring_to(window, "scheduled")
    response = pipeline.post(
        f"/api/v1/windows/{window.pk}/extend/", {"minutes": 5}, format="json", HTTP_IDEMPOTENCY_KEY="k" * 201
    )
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()["detail"]


def test_an_unknown_window_is_a_404(pipeline):
    assert pipeline.post("/api/v1/windows/999999/start/").status_code == 404


def test_a_pipeline_runs_a_window_from_announce_to_complete_over_http(window, manager, clock):
    out = io.StringIO()
    call_command("api_token", "release-manager", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert ApiToken.objects.get(user=manager).token_key == key[:15]
    pipeline = APIClient()
    pipeline.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    public = APIClient()
    url = f"/api/v1/windows/{window.pk}/"

    steps = [
        ("announce", {"reason": "Release 2026.11"}, window.starts_at - timedelta(days=7), "scheduled"),
        ("start", {"reason": "pipeline 4711 deploying"}, window.starts_at, "in_progress"),
        (
            "extend",
            {"minutes": 20, "reason": "migration is slow"},
            window.starts_at + timedelta(minutes=50),
            "in_progress",
        ),
        ("complete", {"reason": "smoke tests green"}, window.starts_at + timedelta(minutes=70), "completed"),
    ]
    for action, body, when, status in steps:
        clock.move_to(when)
        response = pipeline.post(f"{url}{action}/", body, format="json", HTTP_IDEMPOTENCY_KEY=f"4711-{action}")
        assert response.status_code == 200, response.json()
        shown = public.get(url).json()
        assert shown["status"] == status
        assert {k: v for k, v in response.json().items() if k != "message"} == shown
        event = AuditEvent.objects.filter(window=window).latest("id")
        assert (event.action, event.actor, event.reason, event.created_at) == (action, manager, body["reason"], when)

    final = public.get(url).json()
    assert final["actual_start"] == window.starts_at.isoformat().replace("+00:00", "Z")
    assert final["actual_end"] == (window.starts_at + timedelta(minutes=70)).isoformat().replace("+00:00", "Z")
    assert final["ends_at"] == (window.ends_at + timedelta(minutes=20)).isoformat().replace("+00:00", "Z")
    assert (final["sequence"], final["overrunning"]) == (2, False)
    assert list(AuditEvent.objects.filter(window=window).order_by("id").values_list("action", flat=True)) == [
        "announce",
        "start",
        "extend",
        "complete",
    ]


def test_the_openapi_schema_describes_the_actions_and_their_errors(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    extend = paths["/api/v1/windows/{id}/extend/"]["post"]
    assert set(extend["responses"]) == {"200", "400", "401", "403", "404", "409", "422"}
    assert any(p["name"] == "Idempotency-Key" and p["in"] == "header" for p in extend["parameters"])
    assert "/api/v1/incidents/{id}/resolve/" in paths and "/api/v1/sla/" in paths


def test_old_idempotency_keys_are_purged(window, pipeline, clock, settings):
    from maintenance.models import IdempotencyKey
    from maintenance.tasks import purge_idempotency_keys

    bring_to(window, "scheduled")
    pipeline.post(f"/api/v1/windows/{window.pk}/extend/", {"minutes": 5}, format="json", HTTP_IDEMPOTENCY_KEY="old")
    clock.move_to(NOW + timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS, seconds=1))
    pipeline.post(f"/api/v1/windows/{window.pk}/extend/", {"minutes": 5}, format="json", HTTP_IDEMPOTENCY_KEY="new")
    assert purge_idempotency_keys() == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


def test_a_refusal_is_explained_in_the_callers_language(window, pipeline):
    with translation.override("en"):  # puts English back after the German request
        response = pipeline.post(f"/api/v1/windows/{window.pk}/complete/", HTTP_ACCEPT_LANGUAGE="de")
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Das Fenster hat den Status „geplant“ und kann daher nicht abgeschlossen werden."
    }


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_simultaneous_calls_with_one_key_change_the_window_once():
    """On PostgreSQL, two pipeline retries racing with the same key: one extension, the same answer twice."""
    region = Region.objects.get(slug="singapore")
    starts_at = NOW + timedelta(days=3)
    window = Window.objects.create(
        region=region,
        month=starts_at.date().replace(day=1),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )
    bring_to(window, "scheduled")
    user = User.objects.create_user("racer")
    user.user_permissions.add(Permission.objects.get(codename="manage_windows"))
    key = ApiToken.objects.create(user=user)[1]
    barrier = threading.Barrier(2)
    answers = []

    def call():
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
            barrier.wait()
            response = client.post(
                f"/api/v1/windows/{window.pk}/extend/", {"minutes": 15}, format="json", HTTP_IDEMPOTENCY_KEY="race-1"
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=call) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert [status for status, _ in answers] == [200, 200], answers
    assert answers[0][1] == answers[1][1]
    window.refresh_from_db()
    assert (window.duration, window.sequence) == (timedelta(minutes=75), 2)
    assert AuditEvent.objects.filter(window=window, action="extend").count() == 1


def test_a_start_weeks_early_is_a_409_unless_forced_with_a_reason(window, pipeline, manager):
    url = f"/api/v1/windows/{window.pk}/start/"
    refused = pipeline.post(url, {"reason": "pipeline #4711"}, format="json")
    assert refused.status_code == 409
    assert refused.json()["detail"] == (
        "The window starts at 2026-11-28 21:00 UTC, more than 60 minutes from now. "
        "To start it early, confirm with force and give a reason."
    )
    no_reason = pipeline.post(url, {"force": True}, format="json")
    assert (no_reason.status_code, no_reason.json()["detail"]) == (409, "Give a reason to start a window early.")
    assert Window.objects.get(pk=window.pk).status == "planned" and not AuditEvent.objects.exists()
    forced = pipeline.post(url, {"force": True, "reason": "hotfix"}, format="json")
    assert (forced.status_code, forced.json()["status"]) == (200, "in_progress")
    event = AuditEvent.objects.get(window=window, action="start")
    assert (event.actor, event.reason, event.changes["forced"]) == (manager, "hotfix", [False, True])
