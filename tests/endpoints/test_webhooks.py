"""Webhooks end to end against a real local receiver that verifies each signature with ``standardwebhooks``."""

import threading
import time
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone

from endpoints import http, outbox, schedule
from endpoints.models import EndpointDelivery, WebhookSubscription
from maintenance import incidents, plainsql
from maintenance.models import Incident

pytestmark = pytest.mark.django_db


def run():
    """One beat tick at the frozen clock: create what is due, then send every chunk it queues, in this process."""
    schedule.create_due()
    return outbox.dispatch(enqueue=outbox.send_chunk)


def open_incident(regions, clock, title="Login errors", minutes=1):
    clock.shift(timedelta(minutes=minutes))
    return incidents.open_incident(title, [regions["eu-frankfurt"]], Incident.Impact.MAJOR, "We are looking into it.")


def test_an_incident_reaches_the_endpoint_signed_once(clock, regions, receiver, make_subscription):
    subscription = make_subscription(receiver.url, receiver=receiver)
    incident = open_incident(regions, clock)
    run()
    run()  # the beat firing twice sends nothing twice
    assert receiver.rejected == []
    assert len(receiver.delivered) == 2  # the incident, then its region's component update
    payload, component = receiver.delivered
    assert set(payload) == {"meta", "page", "incident"}
    assert set(payload["meta"]) == {"unsubscribe", "documentation", "generated_at"}
    assert payload["meta"]["unsubscribe"].startswith("http://127.0.0.1:8000/webhooks/unsubscribe/")
    assert payload["page"]["status_indicator"] == "major"
    assert payload["page"]["status_description"] == "Partial System Outage"
    assert payload["incident"]["id"] == f"incident-{incident.pk}"
    assert payload["incident"]["status"] == "investigating"
    assert [u["body"] for u in payload["incident"]["incident_updates"]] == ["We are looking into it."]
    assert set(component) == {"meta", "page", "component_update", "component"}
    frankfurt = regions["eu-frankfurt"]
    assert component["component_update"] == {
        "created_at": payload["incident"]["created_at"],
        "new_status": "partial_outage",
        "old_status": "operational",
        "id": f"incident-update-{incident.updates.get().pk}-region-{frankfurt.pk}",
        "component_id": f"region-{frankfurt.pk}",
    }
    assert component["component"] == {
        "created_at": payload["incident"]["components"][0]["created_at"],
        "id": f"region-{frankfurt.pk}",
        "name": "EU (Frankfurt)",
        "status": "partial_outage",
    }
    path, headers, _body = receiver.requests[0]
    assert path == "/hooks/offpeak"
    row = EndpointDelivery.objects.get(subscription=subscription, event__startswith="incident-update-")
    assert headers["webhook-id"] == row.webhook_id
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Offpeak-Webhooks/1 (+http://127.0.0.1:8000)"
    assert row.status == "sent" and row.response_status == 200 and row.attempts == 1


def test_a_repeat_carries_the_same_webhook_id(clock, regions, receiver, make_subscription):
    make_subscription(receiver.url, receiver=receiver)
    receiver.answers = [500]
    open_incident(regions, clock)
    run()
    row = EndpointDelivery.objects.get(event__startswith="incident-update-")
    assert row.status == "pending" and row.attempts == 1 and row.last_error == "HTTP 500: ok"
    clock.shift(timedelta(seconds=outbox.retry_delay(1)))
    run()
    row.refresh_from_db()
    assert row.status == "sent" and row.attempts == 2
    ids = [headers["webhook-id"] for _path, headers, _body in receiver.requests]
    component = EndpointDelivery.objects.get(event__startswith="component:")
    assert ids == [row.webhook_id, row.webhook_id, component.webhook_id]
    assert [set(payload) - {"meta", "page"} for payload in receiver.delivered] == [
        {"incident"},
        {"component_update", "component"},
    ]


def test_a_redirect_is_a_failure_and_is_not_followed(clock, regions, receiver, make_subscription):
    subscription = make_subscription(receiver.url, receiver=receiver)
    receiver.answers = ["redirect"]
    open_incident(regions, clock)
    run()
    row = EndpointDelivery.objects.get(event__startswith="incident-update-")
    assert (row.status, row.response_status, row.last_error) == ("pending", 302, "HTTP 302")
    assert [path for path, _h, _b in receiver.requests] == ["/hooks/offpeak"]  # /elsewhere never asked
    subscription.refresh_from_db()
    assert subscription.failing_since is not None and subscription.last_error == "HTTP 302"


def test_410_gone_disables_the_subscription_at_once_and_tells_the_owner(clock, regions, receiver, make_subscription):
    subscription = make_subscription(receiver.url, receiver=receiver)
    receiver.default = 410
    open_incident(regions, clock)
    open_incident(regions, clock, title="Second")
    mail.outbox.clear()
    run()
    subscription.refresh_from_db()
    assert subscription.state == WebhookSubscription.State.DISABLED
    assert subscription.state_reason == "HTTP 410: ok"
    assert len(receiver.requests) == 1  # the second event is never tried
    events = EndpointDelivery.objects.filter(kind="event").order_by("event_at", "id")
    assert [row.status for row in events] == ["failed", "skipped", "skipped", "skipped"]
    run()  # the next tick emails the owner, once
    run()
    assert [message.subject for message in mail.outbox] == ["Your Offpeak webhook subscription was disabled"]
    assert mail.outbox[0].to == ["owner@example.com"]
    assert "HTTP 410" in mail.outbox[0].body


def test_no_answer_within_the_timeout_is_a_failure(clock, regions, receiver, make_subscription, monkeypatch):
    assert http.TIMEOUT_SECONDS == 10  # what production waits; the test waits less
    monkeypatch.setattr("endpoints.http.TIMEOUT_SECONDS", 0.5)
    make_subscription(receiver.url, receiver=receiver)
    receiver.answers = ["hang"]
    open_incident(regions, clock)
    run()
    receiver.release.set()
    row = EndpointDelivery.objects.get(event__startswith="incident-update-")
    assert row.status == "pending" and "timed out" in row.last_error.lower()


def test_an_endpoint_failing_for_a_day_is_disabled_after_backoff_and_the_owner_hears_twice(
    clock, regions, receiver, make_subscription
):
    subscription = make_subscription(receiver.url, receiver=receiver)
    receiver.default = 503
    open_incident(regions, clock)
    mail.outbox.clear()
    pauses = []
    for _tick in range(40):
        run()
        row = EndpointDelivery.objects.get(event__startswith="incident-update-")
        if row.status != "pending":
            break
        pauses.append(row.next_attempt_at)
        clock.move_to(row.next_attempt_at)
    subscription.refresh_from_db()
    row = EndpointDelivery.objects.get(event__startswith="incident-update-")
    assert row.status == "failed" and subscription.state == "disabled"
    gaps = [(later - earlier).total_seconds() for earlier, later in zip(pauses, pauses[1:], strict=False)]
    assert gaps[:4] == [120, 240, 480, 960]  # exponential backoff
    assert max(gaps) == outbox.RETRY_CAP_SECONDS
    elapsed = row.next_attempt_at - row.created_at
    assert timedelta(hours=24) <= elapsed <= timedelta(hours=31)
    run()
    subjects = [message.subject for message in mail.outbox]
    assert subjects == [
        "Your Offpeak webhook endpoint keeps failing",
        "Your Offpeak webhook subscription was disabled",
    ]


def test_a_row_is_claimed_once_and_a_newer_event_waits_for_an_older_one(clock, regions, make_subscription):
    subscription = make_subscription("http://127.0.0.1:9/hooks")
    open_incident(regions, clock, title="First")
    open_incident(regions, clock, title="Second")
    schedule.create_due()
    rows = EndpointDelivery.objects.filter(subscription=subscription, kind="event").order_by("event_at", "id")
    first, first_component, second, second_component = rows
    assert first_component.event.startswith("component:incident-update-")
    assert [row.pk for row in outbox.claim([second.pk])] == []  # the older events still wait
    assert [row.pk for row in outbox.claim([first.pk, second.pk])] == [first.pk]
    everything = [row.pk for row in rows]
    assert outbox.claim(everything) == []  # the first is in flight: nothing after it may overtake it
    first.refresh_from_db()
    assert (first.status, first.attempts) == ("sending", 1)
    outbox.record(outbox.Outcome(sent=[(first.pk, 200)]))
    assert [row.pk for row in outbox.claim(everything)] == everything[1:]
    assert outbox.claim(everything) == []  # taken: a second worker gets nothing


def test_scheduling_twice_creates_each_row_once(clock, regions, make_subscription, make_channel):
    make_subscription("http://127.0.0.1:9/hooks")
    make_channel("json://127.0.0.1:9/chat")
    open_incident(regions, clock)
    assert schedule.create_due()["event"] == 3  # the incident to both, its component update to the webhook
    schedule.create_due()
    assert EndpointDelivery.objects.filter(kind="event").count() == 3


def test_news_before_the_subscription_was_confirmed_is_not_sent(clock, regions, make_subscription):
    open_incident(regions, clock)
    clock.shift(timedelta(minutes=1))
    make_subscription("http://127.0.0.1:9/hooks")
    schedule.create_due()
    assert EndpointDelivery.objects.filter(kind="event").count() == 0


def test_an_unexpected_error_is_recorded_on_the_row_and_the_other_endpoints_still_get_theirs(
    clock, regions, receiver, make_subscription, monkeypatch
):
    broken = make_subscription(receiver.url.replace("offpeak", "broken"), receiver=receiver)
    fine = make_subscription(receiver.url, receiver=receiver)
    real = outbox.signing.headers

    def headers(secret, message_id, when, body):
        if secret == broken.secret:
            raise ValueError("a bad secret")
        return real(secret, message_id, when, body)

    monkeypatch.setattr(outbox.signing, "headers", headers)
    open_incident(regions, clock)
    run()
    rows = EndpointDelivery.objects.filter(event__startswith="incident-update-")
    assert {row.subscription_id: (row.status, row.last_error) for row in rows} == {
        broken.pk: ("pending", "ValueError: a bad secret"),
        fine.pk: ("sent", ""),
    }


def test_a_2xx_clears_a_failing_endpoints_error(clock, regions, receiver, make_subscription):
    failing = make_subscription(receiver.url, receiver=receiver)
    healthy = make_subscription(receiver.url.replace("/hooks/offpeak", "/hooks/other"), receiver=receiver)
    WebhookSubscription.objects.filter(pk=failing.pk).update(failing_since=timezone.now(), last_error="HTTP 500")
    open_incident(regions, clock)
    run()
    assert receiver.rejected == [] and len(receiver.delivered) == 4
    rows = WebhookSubscription.objects.filter(pk__in=[failing.pk, healthy.pk]).order_by("pk")
    assert list(rows.values_list("failing_since", "last_error")) == [(None, ""), (None, "")]


def test_the_rows_an_event_makes_come_back_from_the_insert_queued_in_dispatch_order(
    clock, regions, receiver, make_subscription, make_channel
):
    for path in ("/hooks/b", "/hooks/a"):
        make_subscription(receiver.url.replace("/hooks/offpeak", path), receiver=receiver)
    make_channel(f"json://127.0.0.1:{receiver.port}/chat")
    EndpointDelivery.objects.update(status="sent")  # the owners' confirmation emails
    open_incident(regions, clock)
    made = []
    schedule.create_due(timezone.now(), queued=made)
    rows = EndpointDelivery.objects.filter(kind="event")
    if connection.vendor != "postgresql":  # bulk_create gives no ids back: the dispatch query finds the rows
        assert made == [] and set(rows.values_list("queued_at", flat=True)) == {None}
        assert outbox.dispatch(timezone.now(), enqueue=lambda ids: None) == rows.count() == 5
        return
    assert made == list(rows.order_by(*outbox.DISPATCH_ORDER).values_list("id", flat=True))
    assert len(made) == 5  # the incident and its component update to each webhook, the incident to the channel
    assert set(rows.values_list("queued_at", flat=True)) == {timezone.now()}
    assert outbox.dispatch(timezone.now(), enqueue=lambda ids: None) == 0  # nothing left for the dispatch query


def test_any_of_takes_only_the_rows_asked_for_and_runs_nothing_for_no_values(
    clock, regions, receiver, make_subscription, django_assert_num_queries
):
    subscriptions = [make_subscription(receiver.url.replace("offpeak", str(n)), receiver=receiver) for n in range(3)]
    wanted = [subscriptions[0].pk, subscriptions[2].pk]
    rows = WebhookSubscription.objects.filter(plainsql.any_of(WebhookSubscription, "id", wanted)).order_by("pk")
    assert list(rows.values_list("pk", flat=True)) == wanted
    with django_assert_num_queries(0):
        assert WebhookSubscription.objects.filter(plainsql.any_of(WebhookSubscription, "id", [])).update(url="x") == 0


def release_when(receiver, done, seconds=5):
    """A thread that lets the receiver's hanging answers go once ``done()`` is true (or ``seconds`` passed); its
    ``reached`` is set if ``done()`` came true first."""
    reached = threading.Event()

    def watch():
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not done():
            reached.wait(0.01)
        if done():
            reached.set()
        receiver.release.set()

    watcher = threading.Thread(target=watch)
    watcher.start()
    watcher.reached = reached
    return watcher


def test_an_endpoint_that_keeps_the_worker_waiting_does_not_hold_up_the_others(
    clock, regions, receiver, make_subscription
):
    for n in range(8):
        make_subscription(receiver.url.replace("offpeak", str(n)), receiver=receiver)
    open_incident(regions, clock)
    receiver.answers = ["hang"]  # the first post
    watcher = release_when(receiver, lambda: len(receiver.delivered) == 14)
    run()
    watcher.join()
    assert watcher.reached.is_set()  # the seven others got both their rows while the first waited
    assert EndpointDelivery.objects.filter(kind="event", status="sent").count() == 16


def test_endpoints_that_all_keep_the_worker_waiting_are_posted_to_more_at_once(
    clock, regions, receiver, make_subscription, settings
):
    settings.ENDPOINT_SEND_THREADS = 8
    assert outbox.SEND_WIDTH < 8  # a chunk begins narrower than its eight endpoints
    for n in range(8):
        make_subscription(receiver.url.replace("offpeak", str(n)), receiver=receiver)
    open_incident(regions, clock)
    receiver.answers = ["hang"] * 8
    watcher = release_when(receiver, lambda: len(receiver.requests) == 8)
    run()
    watcher.join()
    assert watcher.reached.is_set()  # all eight waited at once: the chunk widened as none answered
    assert EndpointDelivery.objects.filter(kind="event", status="sent").count() == 16
