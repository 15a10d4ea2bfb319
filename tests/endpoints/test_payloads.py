"""The payloads are Statuspage's webhook format, and say what the v2 API says about the same incident or window."""

from datetime import timedelta

import pytest
from django.utils import timezone

from endpoints import outbox, schedule
from endpoints.models import EndpointDelivery
from endpoints.outbox import Messages
from maintenance import incidents, lifecycle
from maintenance.models import Incident

pytestmark = pytest.mark.django_db


def keys(data):
    """The nested key structure of ``data``: every path of keys, lists read through their first item."""
    if isinstance(data, dict):
        return {key: keys(value) for key, value in data.items()}
    if isinstance(data, list):
        return [keys(data[0])] if data else []
    return None


def test_the_incident_is_the_v2_apis_incident(clock, client, regions):
    incident = incidents.open_incident(
        "Login errors", [regions["eu-frankfurt"], regions["japan"]], Incident.Impact.MAJOR, "Looking into it."
    )
    clock.shift(timedelta(minutes=5))
    incidents.post_update(incident, Incident.Status.MONITORING, "A fix is out.")
    latest = incident.updates.order_by("-created_at").first()
    payload = Messages(timezone.now()).payload(f"incident-update-{latest.pk}")
    v2 = client.get("/api/v2/incidents.json").json()
    ours = payload["incident"]
    assert ours == v2["incidents"][0]  # deliver_notifications included
    assert payload["page"] == {
        "id": v2["page"]["id"],
        "status_indicator": client.get("/api/v2/status.json").json()["status"]["indicator"],
        "status_description": client.get("/api/v2/status.json").json()["status"]["description"],
    }


def test_an_earlier_update_is_told_as_the_incident_was_then(clock, regions):
    incident = incidents.open_incident("Slow", [regions["japan"]], Incident.Impact.MINOR, "Looking.")
    first = incident.updates.get()
    clock.shift(timedelta(minutes=5))
    incidents.resolve(incident, "Fixed.")
    told = Messages(timezone.now()).payload(f"incident-update-{first.pk}")["incident"]
    assert told["status"] == "investigating" and told["resolved_at"] is None
    assert [update["body"] for update in told["incident_updates"]] == ["Looking."]
    assert told["incident_updates"][0]["affected_components"][0]["new_status"] == "degraded_performance"


def test_a_window_is_the_v2_apis_scheduled_maintenance(clock, client, window):
    lifecycle.announce(window)
    clock.move_to(window.starts_at)
    lifecycle.start(window)
    event = window.audit_events.get(action="start")
    ours = Messages(timezone.now()).payload(f"window-event-{event.pk}")["incident"]
    v2 = client.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"][0]
    assert keys(ours) == keys(v2)
    same = ["id", "name", "status", "impact", "scheduled_for", "scheduled_until", "started_at", "shortlink", "page_id"]
    assert {name: ours[name] for name in same} == {name: v2[name] for name in same}
    assert ours["status"] == "in_progress" and ours["impact"] == "maintenance"
    assert [u["id"] for u in ours["incident_updates"]] == [u["id"] for u in v2["incident_updates"]]
    assert [u["status"] for u in ours["incident_updates"]] == ["in_progress", "scheduled"]
    assert ours["incident_updates"][0]["body"] == "EU (Frankfurt): maintenance started"
    assert ours["components"] == v2["components"]
    assert [c["new_status"] for c in ours["incident_updates"][0]["affected_components"]] == ["under_maintenance"]


def test_window_news_reaches_maintenance_subscribers_only(clock, window, receiver, make_subscription, regions):
    maintenance = make_subscription(receiver.url, receiver=receiver, topics=["maintenance"])
    make_subscription(receiver.url.replace("offpeak", "other"), topics=["incidents"])
    make_subscription(receiver.url.replace("offpeak", "japan"), region="japan", topics=["maintenance"])
    clock.shift(timedelta(minutes=1))
    lifecycle.announce(window)
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)
    rows = EndpointDelivery.objects.filter(kind="event")
    assert [(row.subscription_id, row.status) for row in rows] == [(maintenance.pk, "sent")]
    [payload] = receiver.delivered
    assert payload["incident"]["id"] == f"window-{window.pk}"
    assert payload["incident"]["status"] == "scheduled"
    assert payload["incident"]["incident_updates"][0]["body"].startswith("EU (Frankfurt): maintenance announced")


def test_a_planned_windows_changes_are_not_news(clock, window, make_subscription, receiver):
    make_subscription(receiver.url, receiver=receiver)
    clock.shift(timedelta(minutes=1))
    lifecycle.reschedule(window, window.starts_at + timedelta(hours=1), window.ends_at + timedelta(hours=1))
    assert schedule.create_due()["event"] == 0


def test_a_window_start_tells_webhooks_its_region_is_under_maintenance(clock, window, receiver, make_subscription):
    make_subscription(receiver.url, receiver=receiver, topics=["maintenance"])
    clock.shift(timedelta(minutes=1))
    lifecycle.announce(window)
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)
    clock.move_to(window.starts_at)
    lifecycle.start(window)
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)
    told = [(p["incident"]["status"] if "incident" in p else p["component"]["status"]) for p in receiver.delivered]
    assert told == ["scheduled", "in_progress", "under_maintenance"]
    update = receiver.delivered[2]["component_update"]
    assert (update["old_status"], update["new_status"]) == ("operational", "under_maintenance")
    assert update["component_id"] == f"region-{window.region_id}"


def test_the_next_chunk_reuses_an_events_payload_while_nothing_it_reads_changed(
    clock, regions, django_assert_num_queries
):
    incident = incidents.open_incident("Slow", [regions["japan"]], Incident.Impact.MINOR, "Looking.")
    key = f"incident-update-{incident.updates.get().pk}"
    first = Messages(timezone.now()).body(key, "https://example.com/u/1")
    clock.shift(timedelta(seconds=outbox.PAYLOAD_SECONDS - 1))
    with django_assert_num_queries(1):  # the data's version, and nothing else
        again = Messages(timezone.now()).body(key, "https://example.com/u/1")
    assert again == first  # generated_at included: the payload is as of when it was built


@pytest.mark.parametrize("change", ["title", "update", "region"])
def test_a_payload_is_built_again_once_what_it_reads_changed(clock, regions, change):
    incident = incidents.open_incident("Slow", [regions["japan"]], Incident.Impact.MINOR, "Looking.")
    key = f"incident-update-{incident.updates.get().pk}"
    before = Messages(timezone.now()).payload(key)
    assert Messages(timezone.now()).payload(key) is before  # the next chunk's, while nothing changed
    if change == "title":
        clock.shift(timedelta(seconds=1))
        incident.title = "Slow logins"
        incident.save()
    elif change == "update":  # at the same instant: the new row alone tells the change
        incidents.post_update(incident, Incident.Status.MONITORING, "A fix is out.")
    else:
        incident.regions.add(regions["eu-frankfurt"])
    after = Messages(timezone.now()).payload(key)
    assert after is not before
    assert after["incident"]["name"] == ("Slow logins" if change == "title" else "Slow")
    assert len(after["incident"]["components"]) == (2 if change == "region" else 1)


def test_a_payload_is_built_again_after_payload_seconds_so_the_page_state_follows_the_clock(clock, regions):
    incident = incidents.open_incident("Slow", [regions["japan"]], Incident.Impact.MINOR, "Looking.")
    key = f"incident-update-{incident.updates.get().pk}"
    first = Messages(timezone.now()).payload(key)
    clock.shift(timedelta(seconds=outbox.PAYLOAD_SECONDS))
    again = Messages(timezone.now()).payload(key)
    assert first["meta"]["generated_at"] != again["meta"]["generated_at"]
    assert again["meta"]["generated_at"] == timezone.now().isoformat(timespec="milliseconds").replace("+00:00", "Z")


def test_an_event_and_its_component_update_are_built_from_one_reading_of_the_event(
    clock, regions, django_assert_num_queries
):
    incident = incidents.open_incident("Slow", [regions["japan"]], Incident.Impact.MINOR, "Looking.")
    key = f"incident-update-{incident.updates.get().pk}"
    component = f"component:{key}:region-{regions['japan'].pk}"
    # the data's version; the page's regions, running windows and open incidents; the update, its incident's
    # updates and regions
    with django_assert_num_queries(7):
        messages = Messages(timezone.now())
        messages.prepare([key, component])
    assert messages.payload(component)["component_update"]["new_status"] == "degraded_performance"
    assert messages.payload(key)["incident"]["name"] == "Slow"
