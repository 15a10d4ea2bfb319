"""The admin: release managers add channels (the URL never shown again), send a test message, and see one view of
delivery per endpoint."""

from datetime import timedelta

import pytest
from django.urls import reverse

from endpoints import outbox, schedule
from endpoints.admin import endpoint_progress
from endpoints.models import Channel, EndpointDelivery
from maintenance import incidents
from maintenance.models import Incident

pytestmark = pytest.mark.django_db
TOKEN = "p4sw9tg5cpb8mw7f4hz2vry6nb"


def add_form(regions, **changes):
    return {
        "name": "Ops chat",
        "url": f"mmost://127.0.0.1:9/{TOKEN}",
        "regions": [regions["eu-frankfurt"].pk],
        "maintenance": "on",
        "incidents": "on",
        "active": "on",
        **changes,
    }


def test_a_release_manager_adds_a_channel_whose_url_is_never_shown_again(client, manager, regions):
    client.force_login(manager)
    response = client.post(reverse("admin:endpoints_channel_add"), add_form(regions))
    assert response.status_code == 302
    channel = Channel.objects.get()
    assert (channel.service, channel.url_hint) == ("Mattermost", "mmost://…")
    page = client.get(reverse("admin:endpoints_channel_change", args=[channel.pk])).content.decode()
    listing = client.get(reverse("admin:endpoints_channel_changelist")).content.decode()
    assert TOKEN not in page and TOKEN not in listing
    assert "mmost://…" in page
    # Saving without a URL keeps the one stored.
    before = channel.url_encrypted
    form = add_form(regions, url="", name="Renamed")
    assert client.post(reverse("admin:endpoints_channel_change", args=[channel.pk]), form).status_code == 302
    channel.refresh_from_db()
    assert channel.name == "Renamed" and channel.url_encrypted == before


@pytest.mark.parametrize(
    ("url", "message"),
    [("nonsense://x", "apprise cannot parse this URL"), ("", "Enter the channel&#x27;s apprise URL.")],
)
def test_an_apprise_url_apprise_cannot_parse_is_a_form_error_on_the_url(client, manager, regions, url, message):
    client.force_login(manager)
    response = client.post(reverse("admin:endpoints_channel_add"), add_form(regions, url=url))
    assert response.status_code == 200
    assert list(response.context["adminform"].form.errors) == ["url"]
    assert message in response.content.decode()
    assert Channel.objects.count() == 0


def test_send_test_message_posts_through_the_outbox(
    client, manager, regions, receiver, make_channel, eager, django_capture_on_commit_callbacks
):
    channel = make_channel(f"json://127.0.0.1:{receiver.port}/test")
    client.force_login(manager)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:endpoints_channel_changelist"),
            {"action": "send_test_message", "_selected_action": [channel.pk]},
            follow=True,
        )
    assert "A test message to 1 channel is queued" in response.content.decode()
    row = EndpointDelivery.objects.get(channel=channel, kind="test")
    assert row.status == "sent"
    [(path, payload)] = receiver.delivered_to
    assert path == "/test" and payload["title"] == "Test message from Offpeak"


def test_one_view_of_delivery_counts_each_endpoint_and_shows_the_last_error(
    client, manager, clock, regions, receiver, make_subscription, make_channel
):
    good = make_subscription(receiver.url.replace("offpeak", "good"), receiver=receiver)
    bad = make_subscription(f"http://127.0.0.1:{receiver.port}/bad", receiver=receiver)
    make_channel(f"json://127.0.0.1:{receiver.port}/chat")
    for number in range(2):
        clock.shift(timedelta(minutes=1))
        incidents.open_incident(f"Trouble {number}", [regions["eu-frankfurt"]], Incident.Impact.MINOR, "x")
    original = receiver.next_answer  # /bad answers 500, the others as usual
    receiver.next_answer = lambda: 500 if receiver.requests[-1][0] == "/bad" else original()
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)
    client.force_login(manager)
    response = client.get(reverse("admin:endpoints_endpointdelivery_changelist"))
    assert response.status_code == 200
    rows = {row["name"]: row for row in response.context["endpoint_progress"]}
    assert {k: rows[bad.url][k] for k in ("sent", "pending", "retrying", "failed", "last_error")} == {
        "sent": 0,
        "pending": 3,  # an incident and its component update each time, behind the first one
        "retrying": 1,
        "failed": 0,
        "last_error": "HTTP 500: ok",
    }
    assert {k: rows[good.url][k] for k in ("sent", "pending", "retrying", "failed", "last_error")} == {
        "sent": 4,
        "pending": 0,
        "retrying": 0,
        "failed": 0,
        "last_error": "",
    }
    assert rows["ops (json://…)"]["sent"] == 2
    assert list(rows)[0] == bad.url  # failing endpoints first
    assert response.context["totals"] == {"sent": 6, "pending": 3, "retrying": 1, "failed": 0, "skipped": 0}
    assert "HTTP 500: ok" in response.content.decode()


def test_the_delivery_view_reads_a_fixed_number_of_queries(
    django_assert_max_num_queries, clock, regions, make_subscription, make_channel
):
    for number in range(3):
        make_subscription(f"http://127.0.0.1:9/hook{number}")
        make_channel(f"json://127.0.0.1:9/chat{number}", name=f"chat{number}")
    clock.shift(timedelta(minutes=1))
    incidents.open_incident("Trouble", [regions["eu-frankfurt"]], Incident.Impact.MINOR, "x")
    schedule.create_due()
    with django_assert_max_num_queries(2):
        rows = endpoint_progress()
    assert len(rows) == 6
    assert sorted(row["pending"] for row in rows) == [1, 1, 1, 2, 2, 2]  # webhooks also get the component update


def test_the_release_night_page_counts_the_webhooks_and_chat_messages_of_each_window(
    clock, window, receiver, make_subscription, make_channel
):
    from django.contrib import admin

    from maintenance import lifecycle
    from maintenance.models import Window

    make_subscription(receiver.url, receiver=receiver, topics=["maintenance"])
    make_channel(f"json://127.0.0.1:{receiver.port}/chat")
    clock.shift(timedelta(minutes=1))
    lifecycle.announce(window)
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)
    clock.move_to(window.starts_at)
    lifecycle.start(window)
    schedule.create_due()  # the start (and its component update) wait
    progress = admin.site._registry[Window].notice_progress([window])[window.pk]
    endpoints = {row["kind"]: row for row in progress if row["kind"] in ("webhook", "chat")}
    assert {k: endpoints["webhook"][k] for k in ("sent", "pending", "failed", "other", "total")} == {
        "sent": 1,
        "pending": 2,
        "failed": 0,
        "other": 0,
        "total": 3,
    }
    assert (endpoints["chat"]["sent"], endpoints["chat"]["pending"], endpoints["chat"]["label"]) == (
        1,
        1,
        "Chat channels",
    )
