"""The admin: posting an incident update with or without a notice, and the outbox's fan-out progress per kind."""

import re
import smtplib
from datetime import timedelta

import pytest
from django.test import override_settings

from maintenance import incidents
from maintenance.models import Incident, IncidentUpdate
from notifications import outbox, schedule
from notifications.models import Delivery
from tests.conftest import NOW
from tests.notifications.test_outbox import FlakyBackend


@pytest.fixture
def manager_client(client, manager):
    """A release manager (not a superuser): the SLA exclusions inline is not theirs."""
    client.force_login(manager)
    return client


@pytest.fixture
def followers(make_subscriber, clock):
    clock.move_to(NOW - timedelta(days=1))
    people = [make_subscriber(f"p{n}@example.com", region="japan") for n in range(3)]
    clock.move_to(NOW)
    return people


def post_update(admin_client, incident, regions, **update):
    return admin_client.post(
        f"/admin/maintenance/incident/{incident.pk}/change/",
        {
            "title": incident.title,
            "regions": [regions["japan"].pk],
            "impact": "minor",
            "started_at_0": "2026-11-10",
            "started_at_1": "11:50:00",
            "updates-TOTAL_FORMS": "2",
            "updates-INITIAL_FORMS": "1",
            "updates-0-id": incident.updates.get().pk,
            "updates-0-incident": incident.pk,
            "updates-1-incident": incident.pk,
            **{f"updates-1-{name}": value for name, value in update.items()},
        },
    )


@pytest.mark.parametrize(("ticked", "rows"), [(True, 3), (False, 0)])
def test_a_release_manager_posts_an_update_with_or_without_a_notice(
    manager_client, followers, regions, clock, ticked, rows
):
    incident = incidents.open_incident(
        "Slow search",
        [regions["japan"]],
        "minor",
        "Slow.",
        now=NOW - timedelta(minutes=10),
        deliver_notifications=False,
    )
    flag = {"deliver_notifications": "on"} if ticked else {}
    response = post_update(manager_client, incident, regions, status="identified", body="Found it.", **flag)
    assert response.status_code == 302
    update = IncidentUpdate.objects.get(body="Found it.")
    assert update.deliver_notifications is ticked
    assert schedule.create_due(NOW)[Delivery.Kind.INCIDENT_UPDATE] == rows


def test_the_incident_form_opens_with_a_notice_by_default(manager_client, regions):
    page = manager_client.get("/admin/maintenance/incident/add/").content.decode()
    assert re.search(r"<input type=\"checkbox\" name=\"first_update_notifies\"[^>]* checked>", page)
    response = manager_client.post(
        "/admin/maintenance/incident/add/",
        {
            "title": "Slow search",
            "regions": [regions["japan"].pk],
            "impact": "minor",
            "started_at_0": "2026-11-10",
            "started_at_1": "11:50:00",
            "first_update": "Search is slow.",
        },
    )
    assert response.status_code == 302
    assert Incident.objects.get().updates.get().deliver_notifications is False  # unticked: no notice


@override_settings(DELIVERY_MAX_ATTEMPTS=3)
def test_the_outbox_list_shows_fan_out_progress_per_kind_and_channel_with_the_last_error(
    admin_client, followers, regions, window, make_subscriber, settings, monkeypatch
):
    from maintenance import lifecycle

    lifecycle.announce(window, now=NOW)
    make_subscriber("ada@example.com")  # the window's region
    incident = incidents.open_incident("Slow search", [regions["japan"]], "minor", "Slow.", now=NOW)
    schedule.create_due(NOW)
    notices = list(Delivery.objects.filter(incident=incident).order_by("id"))
    outbox.send_chunk([notices[0].pk], now=NOW)
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.FlakyBackend"
    monkeypatch.setattr(FlakyBackend, "error", smtplib.SMTPResponseException(451, b"try again later"))
    outbox.send_chunk([notices[1].pk], now=NOW)
    Delivery.objects.filter(pk=notices[2].pk).update(
        status=Delivery.Status.FAILED, last_error="SMTP 550: 'no such user'"
    )

    response = admin_client.get("/admin/notifications/delivery/")
    assert response.status_code == 200
    fanout = {(row["kind"], row["channel"]): row for row in response.context["fanout"]}
    opened = fanout[("incident_opened", "email")]
    assert (opened["sent"], opened["pending"], opened["retrying"], opened["failed"], opened["total"]) == (1, 0, 1, 1, 3)
    assert opened["last_error"] == "SMTP 550: 'no such user'"
    announcement = fanout[("announcement", "email")]
    assert (announcement["sent"], announcement["pending"], announcement["last_error"]) == (0, 1, "")
    html = response.content.decode()
    assert 'id="fanout-progress"' in html and "Incident opened" in html and "no such user" in html

    only_incident = admin_client.get(f"/admin/notifications/delivery/?incident__id__exact={incident.pk}")
    assert [row["kind"] for row in only_incident.context["fanout"]] == ["incident_opened"]
