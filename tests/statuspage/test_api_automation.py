"""The automation endpoints: Alertmanager's webhook and generic monitor events, their auth and their bad input."""

import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Permission, User

from maintenance.models import AlertGroup, AlertReceipt, AlertState, AuditEvent, Incident, IncidentUpdate
from statuspage.models import ApiToken
from tests.conftest import NOW

AM = "/api/v1/automation/alertmanager/"
EVENTS = "/api/v1/automation/events/"
STORED = [Incident, IncidentUpdate, AuditEvent, AlertGroup, AlertState, AlertReceipt]


def stored():
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in STORED} | {
        "regions": list(Incident.regions.through.objects.order_by("pk").values())
    }


def alert(
    status="firing",
    fingerprint="a1",
    region="eu-frankfurt",
    starts="2026-11-10T11:30:00.123456789Z",
    ends="0001-01-01T00:00:00Z",
    severity="critical",
    **extra,
):
    labels = {"alertname": "ApiDown", "severity": severity}
    if region is not None:
        labels["region"] = region
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": "API is down", "description": "5xx above 50%"},
        "startsAt": starts,
        "endsAt": ends,
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint,
        **extra,
    }


def notification(*alerts, status="firing", **extra):
    return {
        "version": "4",
        "groupKey": '{}:{alertname="ApiDown"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "offpeak",
        "groupLabels": {"alertname": "ApiDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
        **extra,
    }


@pytest.fixture
def token(regions):
    user = User.objects.create_user("alertmanager")
    user.user_permissions.add(Permission.objects.get(codename="automate_incidents"))
    return ApiToken.objects.create(user=user)[1]


@pytest.fixture
def post(client, token):
    def post(path, body, auth=True, raw=None, content_type="application/json"):
        headers = (
            {"HTTP_AUTHORIZATION": f"Bearer {token}"}
            if auth is True
            else ({"HTTP_AUTHORIZATION": auth} if auth else {})
        )
        data = raw if raw is not None else json.dumps(body)
        with time_machine.travel(NOW, tick=False):
            return client.post(path, data, content_type=content_type, **headers)

    return post


def test_alertmanager_firing_then_resolved_opens_and_resolves_the_incident(post):
    response = post(AM, notification(alert()))
    assert response.status_code == 200
    incident = Incident.objects.get()
    assert response.json() == {
        "detail": "Applied 1 alert(s); ignored 0.",
        "applied": [{"alert": "a1", "action": "opened", "incident": incident.pk}],
        "ignored": [],
    }
    assert (incident.impact, incident.started_at, incident.source) == (
        "critical",
        datetime(2026, 11, 10, 11, 30, 0, 123456, tzinfo=UTC),
        "alertmanager",
    )
    assert AuditEvent.objects.get().actor.username == "alertmanager"
    resolved = alert("resolved", ends="2026-11-10T11:50:00Z")
    assert post(AM, notification(resolved, status="resolved")).json()["applied"][0]["action"] == "resolved"
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == ("resolved", datetime(2026, 11, 10, 11, 50, tzinfo=UTC))


def test_a_repeated_notification_is_answered_200_and_changes_nothing(post):
    post(AM, notification(alert()))
    before = stored()
    response = post(AM, notification(alert()))
    assert response.status_code == 200
    assert response.json()["ignored"] == [
        {"alert": "a1", "reason": "A repeat of a notification already applied; nothing changed."}
    ]
    assert stored() == before


def test_alerts_not_for_us_are_listed_as_ignored_with_a_200(post):
    response = post(AM, notification(alert(region=None), alert(fingerprint="a2", region="atlantis")))
    assert response.status_code == 200
    assert response.json()["ignored"] == [
        {"alert": "a1", "reason": "It has no 'region' label."},
        {"alert": "a2", "reason": "It names no active region of this status page (regions: atlantis)."},
    ]
    assert Incident.objects.count() == 0


def test_the_region_label_is_configurable(post, settings):
    settings.AUTOMATION_REGION_LABEL = "dc"
    response = post(AM, notification(alert(region=None, labels={"alertname": "X", "dc": "japan"})))
    assert response.json()["applied"][0]["action"] == "opened"
    assert list(Incident.objects.get().regions.values_list("slug", flat=True)) == ["japan"]


def test_generic_events_open_escalate_and_resolve(post):
    down = {"region": "japan", "status": "degraded", "summary": "Slow API", "source": "uptime-kuma", "id": "e1"}
    assert post(EVENTS, down).json()["applied"][0]["action"] == "opened"
    assert Incident.objects.get().impact == "minor"
    assert post(EVENTS, {**down, "status": "down", "id": "e2"}).json()["applied"][0]["action"] == "updated"
    assert Incident.objects.get().impact == "critical"
    assert post(EVENTS, {**down, "status": "down", "id": "e2"}).json()["applied"] == []
    up = post(EVENTS, {**down, "status": "up", "id": "e3"}).json()
    assert up["applied"][0]["action"] == "resolved"
    incident = Incident.objects.get()
    assert (incident.status, incident.resolved_at, incident.source) == ("resolved", NOW, "uptime-kuma")


def test_an_up_event_with_nothing_open_changes_nothing(post):
    response = post(EVENTS, {"region": "japan", "status": "up", "summary": "", "source": "cron", "id": "x"})
    assert response.json()["ignored"] == [
        {"alert": "cron:japan", "reason": "Nothing is open for this alert; nothing changed."}
    ]
    assert Incident.objects.count() == 0


FUTURE = "2026-11-11T12:00:00Z"
PAST = "2025-01-01T00:00:00Z"
BAD = [
    (
        "no token",
        AM,
        notification(alert()),
        False,
        None,
        401,
        "Send the token in an Authorization: Bearer <token> header.",
    ),
    (
        "token scheme",
        AM,
        notification(alert()),
        "Token abc",
        None,
        401,
        "Send the token in an Authorization: Bearer <token> header.",
    ),
    ("wrong token", AM, notification(alert()), "Bearer nope", None, 401, "The bearer token is not valid."),
    ("not json", AM, None, True, b"{not json", 400, None),
    ("empty body", AM, None, True, b"", 400, "The body is empty; send a JSON object."),
    ("a list", AM, [], True, None, 400, "The body must be a JSON object."),
    (
        "no version",
        AM,
        {**notification(alert()), "version": None} | {},
        True,
        None,
        400,
        "version must be \"4\", Alertmanager's webhook format; got 'None'.",
    ),
    (
        "version 3",
        AM,
        notification(alert(), version="3"),
        True,
        None,
        400,
        "version must be \"4\", Alertmanager's webhook format; got '3'.",
    ),
    (
        "bad status",
        AM,
        notification(alert(), status="maybe"),
        True,
        None,
        400,
        'status must be "firing" or "resolved".',
    ),
    ("no groupKey", AM, notification(alert(), groupKey=""), True, None, 400, "groupKey must be a non-empty string."),
    ("alerts not a list", AM, notification() | {"alerts": {}}, True, None, 400, "alerts must be a list."),
    ("no alerts", AM, notification(), True, None, 400, "alerts is empty; a notification carries at least one alert."),
    (
        "alert without labels",
        AM,
        notification({k: v for k, v in alert().items() if k != "labels"}),
        True,
        None,
        400,
        "alerts[0].labels is missing; an alert without labels names no region.",
    ),
    (
        "labels not strings",
        AM,
        notification(alert(labels={"region": 3})),
        True,
        None,
        400,
        "alerts[0].labels.region must be a string.",
    ),
    (
        "no fingerprint",
        AM,
        notification(alert(fingerprint="")),
        True,
        None,
        400,
        "alerts[0].fingerprint must be a non-empty string.",
    ),
    (
        "bad time",
        AM,
        notification(alert(starts="yesterday")),
        True,
        None,
        400,
        "alerts[0].startsAt is not an RFC 3339 time: 'yesterday'.",
    ),
    (
        "naive time",
        AM,
        notification(alert(starts="2026-11-10T11:00:00")),
        True,
        None,
        400,
        "alerts[0].startsAt has no UTC offset: '2026-11-10T11:00:00'.",
    ),
    (
        "future start",
        AM,
        notification(alert(starts=FUTURE)),
        True,
        None,
        400,
        f"alerts[0].startsAt is in the future ({FUTURE}); check the monitor's clock.",
    ),
    (
        "ancient start",
        AM,
        notification(alert(starts=PAST)),
        True,
        None,
        400,
        f"alerts[0].startsAt is more than 31 days ago ({PAST}); it is refused.",
    ),
    (
        "future end",
        AM,
        notification(alert("resolved", ends=FUTURE)),
        True,
        None,
        400,
        f"alerts[0].endsAt is in the future ({FUTURE}); check the monitor's clock.",
    ),
    (
        "end before start",
        AM,
        notification(alert("resolved", ends="2026-11-10T11:00:00Z")),
        True,
        None,
        400,
        "alerts[0].endsAt is before its startsAt.",
    ),
    (
        "year 10000",
        AM,
        notification(alert(starts="10000-01-01T00:00:00Z")),
        True,
        None,
        400,
        "alerts[0].startsAt is not an RFC 3339 time: '10000-01-01T00:00:00Z'.",
    ),
    (
        "event bad status",
        EVENTS,
        {"region": "japan", "status": "sideways", "source": "k", "id": "1"},
        True,
        None,
        400,
        'status must be "down", "degraded" or "up".',
    ),
    (
        "event bad source",
        EVENTS,
        {"region": "japan", "status": "down", "source": "Uptime Kuma!", "id": "1"},
        True,
        None,
        400,
        "source must be a short name: lower-case letters, digits, '.', '_' or '-'.",
    ),
    (
        "event no id",
        EVENTS,
        {"region": "japan", "status": "down", "source": "k"},
        True,
        None,
        400,
        "id must be a non-empty string.",
    ),
    (
        "event no region",
        EVENTS,
        {"status": "down", "source": "k", "id": "1"},
        True,
        None,
        400,
        "region must be a non-empty string.",
    ),
]


@pytest.mark.parametrize(
    ("path", "body", "auth", "raw", "status", "detail"), [row[1:] for row in BAD], ids=[row[0] for row in BAD]
)
def test_bad_input_gets_a_4xx_sentence_and_changes_nothing(post, path, body, auth, raw, status, detail):
    post(AM, notification(alert(fingerprint="existing")))
    before = stored()
    response = post(path, body, auth=auth, raw=raw)
    assert response.status_code == status
    if detail is None:
        assert response.json()["detail"].startswith("JSON parse error")
    else:
        assert response.json()["detail"] == detail
    assert stored() == before


def test_a_token_without_the_permission_gets_403(post, client):
    other = ApiToken.objects.create(user=User.objects.create_user("someone"))[1]
    before = stored()
    response = post(AM, notification(alert()), auth=f"Bearer {other}")
    assert response.status_code == 403
    assert "maintenance.automate_incidents" in response.json()["detail"]
    assert stored() == before


def test_ten_thousand_alerts_are_refused_with_413_and_change_nothing(post, settings):
    settings.AUTOMATION_MAX_BODY_BYTES = 50_000_000
    before = stored()
    response = post(AM, notification(*[alert(fingerprint=f"f{n}") for n in range(10_000)]))
    assert response.status_code == 413
    assert response.json()["detail"] == (
        "alerts holds 10000 alerts; at most 1000 are accepted in one notification (set max_alerts: 1000 in the "
        "webhook receiver)."
    )
    assert stored() == before


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(post, settings):
    settings.AUTOMATION_MAX_BODY_BYTES = 2048
    response = post(AM, notification(*[alert(fingerprint=f"f{n}") for n in range(20)]))
    assert response.status_code == 413
    assert response.json()["detail"].endswith("at most 2048 are accepted.")
    assert Incident.objects.count() == 0


def test_other_content_types_and_methods_are_refused(post, client, token):
    assert post(AM, None, raw="version=4", content_type="application/x-www-form-urlencoded").status_code == 415
    assert client.get(AM, HTTP_AUTHORIZATION=f"Bearer {token}").status_code == 405


def test_the_pages_say_an_incident_was_opened_by_automation(post, client):
    post(AM, notification(alert()))
    with time_machine.travel(NOW, tick=False):
        page = client.get("/").content.decode()
        history = client.get("/history/").content.decode()
    assert '<span class="tag automated">opened automatically by alertmanager</span>' in page
    assert '<span class="tag automated">opened automatically by alertmanager</span>' in history
