"""An endpoint that goes away and comes back, and one whose name starts pointing somewhere it must not."""

import socket
from datetime import timedelta

import pytest

from endpoints import http, outbox, schedule
from endpoints.models import EndpointDelivery
from maintenance import incidents
from maintenance.models import Incident

pytestmark = pytest.mark.django_db


def tick():
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)


def test_an_endpoint_down_for_a_while_then_back_gets_every_event_once_in_order(
    clock, regions, receiver, make_subscription
):
    subscription = make_subscription(receiver.url, receiver=receiver)
    other = make_subscription(receiver.url.replace("/offpeak", "/second"), receiver=receiver)  # same receiver
    receiver.default = 503
    titles = []
    for number in range(5):
        clock.shift(timedelta(minutes=2))
        incident = incidents.open_incident(f"Event {number}", [regions["eu-frankfurt"]], Incident.Impact.MINOR, "x")
        titles.append(incident.title)
        if number == 2:
            incidents.resolve(incident, "Fixed.")
            titles.append(incident.title)
        tick()
    assert receiver.delivered == []
    assert EndpointDelivery.objects.filter(subscription=subscription, status="sent").count() == 0
    # Only the oldest event was ever tried while the endpoint was down: the others wait behind it.
    tried = {headers["webhook-id"] for path, headers, _ in receiver.requests if path == "/hooks/offpeak"}
    oldest = EndpointDelivery.objects.filter(subscription=subscription, kind="event").order_by("event_at", "id").first()
    assert tried == {oldest.webhook_id}
    receiver.default = 200
    back = len(receiver.requests)
    for _hour in range(6):
        clock.shift(timedelta(hours=1))
        tick()
    mine = [payload for path, payload in receiver.delivered_to if path == "/hooks/offpeak" and "incident" in payload]
    told = [(p["incident"]["name"], p["incident"]["status"]) for p in mine]
    expected = [(title, "investigating") for title in titles]
    expected[3] = (titles[3], "resolved")
    assert told == expected
    ids = [headers["webhook-id"] for path, headers, _ in receiver.requests[back:] if path == "/hooks/offpeak"]
    # Six incident updates and six component updates (five incidents opened, one resolved), each once.
    assert len(ids) == len(set(ids)) == 12
    assert EndpointDelivery.objects.filter(subscription=subscription, kind="event", status="sent").count() == 12
    assert EndpointDelivery.objects.filter(subscription=other, kind="event", status="sent").count() == 12
    components = [
        p["component_update"] for path, p in receiver.delivered_to if path == "/hooks/offpeak" and "component" in p
    ]
    opened, resolved = ("operational", "degraded_performance"), ("degraded_performance", "operational")
    assert [(c["old_status"], c["new_status"]) for c in components] == [opened] * 3 + [resolved] + [opened] * 2
    assert receiver.rejected == []
    subscription.refresh_from_db()
    assert subscription.failing_since is None and subscription.state == "active"


def test_a_name_that_resolves_to_a_refused_address_at_send_time_gets_nothing(
    clock, regions, receiver, make_subscription, monkeypatch
):
    make_subscription(receiver.url.replace("127.0.0.1", "localhost"), receiver=receiver)
    clock.shift(timedelta(minutes=1))
    incidents.open_incident("Down", [regions["eu-frankfurt"]], Incident.Impact.MAJOR, "x")
    real = socket.getaddrinfo

    def rebound(host, port, *args, **kwargs):
        if host == "localhost":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    tick()
    row = EndpointDelivery.objects.get(event__startswith="incident-update-")
    assert row.status == "pending"
    assert row.last_error == "The URL's host resolves to a private or reserved address (10.0.0.7)."
    assert receiver.requests == []


def test_the_request_goes_to_the_checked_address_with_the_urls_host(receiver):
    receiver.default = 204
    answer = http.post(receiver.url.replace("127.0.0.1", "localhost"), b"{}", {"Content-Type": "application/json"})
    assert answer.status == 204
    assert receiver.requests[0][1]["host"] == f"localhost:{receiver.port}"


def test_at_most_64_kb_of_the_answer_is_read(receiver):
    receiver.body = b"x" * (1024 * 1024)
    answer = http.post(receiver.url, b"{}", {})
    assert answer.status == 200
    assert len(answer.body) == 64 * 1024
