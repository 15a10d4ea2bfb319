"""End to end over real SMTP: an aiosmtpd server on localhost receives what the outbox sends."""

import json
import re
from datetime import timedelta
from urllib.parse import urlsplit

import icalendar
import time_machine

from maintenance import lifecycle
from notifications.tasks import schedule_due
from tests.conftest import NOW


def test_confirmation_announcement_and_one_click_over_real_smtp(
    client, window, smtp_server, eager, django_capture_on_commit_callbacks
):
    run = django_capture_on_commit_callbacks
    with time_machine.travel(NOW, tick=False):
        with run(execute=True):
            client.post(
                "/api/v1/subscriptions/",
                json.dumps(
                    {
                        "email": "ada@example.com",
                        "regions": ["eu-frankfurt"],
                        "language": "de",
                        "timezone": "Asia/Tokyo",
                    }
                ),
                content_type="application/json",
            )
        [(recipients, confirmation)] = smtp_server.messages
        assert recipients == ["ada@example.com"]
        assert confirmation["Subject"] == "Bestätigen Sie Ihr Abonnement bei Offpeak"
        confirm_url = re.search(
            r"http://\S+/subscription/confirm/\S+/", confirmation.get_body(("plain",)).get_content()
        )[0]
        with run(execute=True):
            assert client.post(urlsplit(confirm_url).path).status_code == 200
        with run(execute=True):
            lifecycle.announce(window, now=NOW)

    assert len(smtp_server.messages) == 2
    _, announcement = smtp_server.messages[1]
    assert announcement["Subject"] == "Geplante Wartung in EU (Frankfurt) am Sonntag, 29. November: Monatliches Release"
    assert announcement["Auto-Submitted"] == "auto-generated"
    assert announcement["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe_url = announcement["List-Unsubscribe"].strip()
    assert unsubscribe_url.startswith("<http://127.0.0.1:8000/subscription/unsubscribe/") and unsubscribe_url.endswith(
        ">"
    )
    assert (
        announcement["Message-ID"].endswith("@127.0.0.1>") and announcement["References"] == announcement["In-Reply-To"]
    )
    assert announcement.get_content_type() == "multipart/mixed"
    text = announcement.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = announcement.get_body(("html",)).get_content()
    assert "Ihre Zeit (Asia/Tokyo):\n  Beginn: Sonntag, 29. November 2026, 06:00 JST" in text
    assert "Beginn: Samstag, 28. November 2026, 22:00 CET" in text and "21:00 UTC" in text
    assert "06:00 JST" in html and unsubscribe_url[1:-1] in html and "/subscription/manage/" in html
    [ics] = list(announcement.iter_attachments())
    assert ics.get_content_type() == "text/calendar"
    calendar = icalendar.Calendar.from_ical(ics.get_content())
    [event] = calendar.walk("VEVENT")
    assert (str(event["UID"]), event["SEQUENCE"], event.decoded("DTSTART")) == (
        f"window-{window.pk}@127.0.0.1",
        1,
        window.starts_at,
    )

    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        response = client.post(
            urlsplit(unsubscribe_url[1:-1]).path,
            "List-Unsubscribe=One-Click",
            content_type="application/x-www-form-urlencoded",
        )
        assert response.status_code == 200
        with run(execute=True):
            window.refresh_from_db()
            lifecycle.reschedule(window, window.starts_at + timedelta(hours=1), window.ends_at + timedelta(hours=1))
            schedule_due.delay()
    assert len(smtp_server.messages) == 2
