"""/metrics: closed by default, open to the token or the allowed networks, figures read from the database."""

import ipaddress
from datetime import timedelta

import pytest
import time_machine
from prometheus_client.parser import text_string_to_metric_families

from maintenance import incidents, lifecycle, planning
from maintenance.models import Window
from notifications.models import Delivery, Subscriber
from tests.conftest import NOW


def samples(response):
    """{(name, frozenset(labels)): value} of a metrics page."""
    text = response.content.decode()
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


@pytest.fixture
def world(regions):
    with time_machine.travel(NOW, tick=False):
        planning.plan(NOW, 2)
        window = Window.objects.get(region__slug="japan", month="2026-11-01")
        lifecycle.announce(window, "rm")
        incidents.open_incident("Slow", [regions["eu-frankfurt"]], "major", "Looking.")
        subscriber = Subscriber.objects.create(email="a@example.com", state="confirmed", created_at=NOW)
        for kind, status, age in (("announcement", "sent", 0), ("reminder", "pending", 300), ("started", "failed", 0)):
            Delivery.objects.create(
                window=window,
                subscriber=subscriber,
                kind=kind,
                sequence=1,
                status=status,
                created_at=NOW - timedelta(seconds=age),
            )
    return window


def test_metrics_are_closed_by_default(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "", []
    response = client.get("/metrics")
    assert response.status_code == 403
    assert response.content == b"The metrics endpoint is closed: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS.\n"


def test_a_wrong_or_missing_token_gets_401(client, settings):
    settings.METRICS_TOKEN, settings.METRICS_ALLOWED_NETWORKS = "s3cret", []
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong")["WWW-Authenticate"] == 'Bearer realm="metrics"'


def test_an_allowed_network_gets_in_without_a_token_and_another_does_not(client, settings, db):
    settings.METRICS_TOKEN = ""
    settings.METRICS_ALLOWED_NETWORKS = [ipaddress.ip_network("10.0.0.0/8")]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", REMOTE_ADDR="192.168.1.1").status_code == 403


def test_metrics_report_windows_state_incidents_and_the_outbox_from_the_database(client, settings, world):
    settings.METRICS_TOKEN = "s3cret"
    with time_machine.travel(NOW, tick=False):
        client.get("/")  # one request, so the latency histogram has a sample for the status page
        response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain; version=0.0.4")
    got = samples(response)

    def value(name, **labels):
        return got[(name, frozenset(labels.items()))]

    assert value("offpeak_windows", region="japan", status="scheduled") == 1
    assert value("offpeak_windows", region="japan", status="planned") == 1
    assert value("offpeak_windows", region="japan", status="cancelled") == 0
    assert value("offpeak_next_window_start_timestamp_seconds", region="japan") == world.starts_at.timestamp()
    assert value("offpeak_region_state", region="eu-frankfurt", state="partial_outage") == 1
    assert value("offpeak_region_state", region="eu-frankfurt", state="operational") == 0
    assert value("offpeak_region_state", region="japan", state="operational") == 1
    assert value("offpeak_incidents_open", impact="major") == 1
    assert value("offpeak_incidents_open", impact="critical") == 0
    assert value("offpeak_outbox_rows", channel="email", kind="reminder", status="pending") == 1
    assert value("offpeak_deliveries_sent_total", channel="email") == 1
    assert value("offpeak_deliveries_failed_total", channel="email") == 1
    assert value("offpeak_outbox_oldest_pending_age_seconds") == 300
    assert value("offpeak_http_request_duration_seconds_count", view="status", method="GET") >= 1
    assert response["Cache-Control"] == "no-store"


def test_metrics_take_a_fixed_number_of_queries(client, settings, world, django_assert_num_queries):
    settings.METRICS_TOKEN = "s3cret"
    with django_assert_num_queries(9):
        client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret")
