"""The whole promise, driven through the API, the emails' own links and the periodic task."""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import time_machine
from django.core import mail

from maintenance import lifecycle
from notifications.models import Delivery
from notifications.tasks import schedule_due
from tests.conftest import NOW


def path_of(url):
    return urlsplit(url).path


def test_a_subscriber_gets_one_confirmation_one_announcement_one_reminder_and_nothing_after_one_click(
    client, window, eager, django_capture_on_commit_callbacks
):
    run = django_capture_on_commit_callbacks
    with time_machine.travel(NOW, tick=False):
        with run(execute=True):
            response = client.post(
                "/api/v1/subscriptions/",
                json.dumps({"email": "ada@example.com", "regions": ["eu-frankfurt"], "language": "en"}),
                content_type="application/json",
            )
        assert response.status_code == 202
        [confirmation] = mail.outbox
        confirm_url = re.search(r"http://\S+/subscription/confirm/\S+/", confirmation.body)[0]
        with run(execute=True):
            assert client.get(path_of(confirm_url)).status_code == 200  # the page with the button
            assert client.post(path_of(confirm_url)).status_code == 200
        with run(execute=True):
            lifecycle.announce(window, now=NOW)  # the lifecycle's signal queues schedule_due after commit
        assert [m.subject for m in mail.outbox][1:] == [
            "Scheduled maintenance in EU (Frankfurt) on Saturday, November 28: Monthly release"
        ]
        with run(execute=True):
            schedule_due.delay()
            schedule_due.delay()
        assert len(mail.outbox) == 2

    with time_machine.travel(window.starts_at - timedelta(hours=24), tick=False):
        with run(execute=True):
            schedule_due.delay()
            schedule_due.delay()
        assert [m.subject for m in mail.outbox][2:] == [
            "Reminder: maintenance in EU (Frankfurt) in 24 hours (Saturday, November 28)"
        ]
        reminder = mail.outbox[2]
        one_click = reminder.extra_headers["List-Unsubscribe"][1:-1]
        response = client.post(
            path_of(one_click), "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
        )
        assert response.status_code == 200

    with time_machine.travel(window.starts_at - timedelta(hours=2), tick=False):
        with run(execute=True):
            lifecycle.reschedule(window, window.starts_at + timedelta(hours=1), window.ends_at + timedelta(hours=1))
            schedule_due.delay()
    with time_machine.travel(window.starts_at + timedelta(hours=1), tick=False):
        with run(execute=True):
            lifecycle.start(window)
            schedule_due.delay()

    assert [m.subject.split(":")[0] for m in mail.outbox] == [
        "Confirm your subscription to Offpeak",
        "Scheduled maintenance in EU (Frankfurt) on Saturday, November 28",
        "Reminder",
    ]
    assert sorted(Delivery.objects.values_list("kind", "status")) == [
        ("announcement", "sent"),
        ("confirm", "sent"),
        ("reminder", "sent"),
    ]
