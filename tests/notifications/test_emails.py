import email
import re
from email import policy

import icalendar
import pytest

from maintenance import lifecycle
from notifications.emails import KINDS, RenderCache, build_message
from notifications.models import Delivery
from tests.conftest import NOW


@pytest.fixture
def announced(window):
    window.title = "November release"
    window.release_summary = "Faster exports & a new <b>report</b>."
    window.save()
    lifecycle.announce(window, now=NOW)
    window.refresh_from_db()
    return window


def delivery(window, subscriber, kind="announcement", sequence=1):
    return Delivery.objects.create(window=window, subscriber=subscriber, kind=kind, sequence=sequence, created_at=NOW)


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def test_message_ids_are_opaque_stable_and_thread_per_window_and_subscriber(announced, make_subscriber):
    """No sequential subscriber or row id in a Message-ID: a keyed hash, the same on a re-send."""
    ada, bob = make_subscriber("ada@example.com"), make_subscriber("bob@example.com")
    first = parsed(build_message(delivery(announced, ada)))
    again = parsed(build_message(Delivery.objects.get(subscriber=ada)))
    reminder = parsed(build_message(delivery(announced, ada, kind="reminder", sequence=announced.sequence)))
    other = parsed(build_message(delivery(announced, bob)))
    assert first["Message-ID"] == again["Message-ID"]
    assert first["References"] == reminder["References"] != other["References"]
    assert len({first["Message-ID"], reminder["Message-ID"], other["Message-ID"]}) == 3
    for mime in (first, reminder, other):
        local = mime["Message-ID"][1:].split("@")[0]
        assert re.fullmatch(r"[0-9a-f]{32}", local)
        assert f"s{ada.pk}" not in mime["Message-ID"] and f"window-{announced.pk}" not in mime["Message-ID"]


def test_announcement_has_both_parts_threading_one_click_headers_and_calendar(announced, make_subscriber):
    ada = make_subscriber("ada@example.com", timezone="America/Chicago")
    message = build_message(delivery(announced, ada))
    mime = parsed(message)
    assert mime["Subject"] == "Scheduled maintenance in EU (Frankfurt) on Saturday, November 28: November release"
    assert mime["To"] == "ada@example.com"
    assert re.fullmatch(r"<[0-9a-f]{32}@127\.0\.0\.1>", mime["Message-ID"])
    assert re.fullmatch(r"<[0-9a-f]{32}@127\.0\.0\.1>", mime["References"])
    assert mime["References"] == mime["In-Reply-To"] != mime["Message-ID"]
    assert mime["Auto-Submitted"] == "auto-generated"
    assert mime["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mime["List-Unsubscribe"].strip().startswith("<http://127.0.0.1:8000/subscription/unsubscribe/")
    text = mime.get_body(("plain",)).get_content()
    html = mime.get_body(("html",)).get_content()
    unsubscribe_url = mime["List-Unsubscribe"].strip()[1:-1]
    for part in (text, html):
        assert unsubscribe_url in part
        assert "/subscription/manage/" in part
        assert "XOFFPEAK" not in part
    # 21:00 UTC is 22:00 in Berlin and 15:00 in Chicago.
    assert "Your time (America/Chicago):\n  Starts: Saturday, Nov. 28, 2026, 15:00 CST" in text
    assert "EU (Frankfurt) time (Europe/Berlin):\n  Starts: Saturday, Nov. 28, 2026, 22:00 CET" in text
    assert "UTC:\n  Starts: Saturday, Nov. 28, 2026, 21:00 UTC" in text
    assert "Faster exports & a new <b>report</b>." in text
    assert "Faster exports &amp; a new &lt;b&gt;report&lt;/b&gt;." in html
    [attachment] = [part for part in mime.iter_attachments()]
    assert attachment.get_content_type() == "text/calendar"
    assert attachment.get_filename() == f"window-{announced.pk}.ics"
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = cal.walk("VEVENT")
    assert str(cal["METHOD"]) == "PUBLISH"
    assert str(event["UID"]) == f"window-{announced.pk}@127.0.0.1"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == announced.starts_at
    assert event.decoded("DTEND") == announced.ends_at


def test_cancellation_carries_method_cancel_and_the_new_sequence(announced, make_subscriber):
    ada = make_subscriber()
    lifecycle.cancel(announced, now=NOW)
    announced.refresh_from_db()
    mime = parsed(build_message(delivery(announced, ada, "cancelled", 2)))
    [attachment] = list(mime.iter_attachments())
    assert attachment["Content-Type"].params["method"] == "CANCEL"
    cal = icalendar.Calendar.from_ical(attachment.get_content())
    [event] = cal.walk("VEVENT")
    assert (str(cal["METHOD"]), str(event["STATUS"]), event["SEQUENCE"]) == ("CANCEL", "CANCELLED", 2)


def test_german_subscriber_gets_german_mail_with_german_dates(announced, make_subscriber):
    max_ = make_subscriber("max@example.de", language="de")
    mime = parsed(build_message(delivery(announced, max_)))
    assert mime["Subject"] == "Geplante Wartung in EU (Frankfurt) am Samstag, 28. November: November release"
    text = mime.get_body(("plain",)).get_content()
    assert "Samstag, 28. November 2026, 22:00 CET" in text
    assert "28 November" not in text
    assert "Abmelden" in text


def test_one_render_per_group_serves_many_recipients_with_their_own_links(announced, make_subscriber):
    cache = RenderCache()
    people = [make_subscriber(f"p{n}@example.com") for n in range(3)]
    messages = [build_message(delivery(announced, person), cache) for person in people]
    assert len(cache.groups) == 1
    links = {m.extra_headers["List-Unsubscribe"] for m in messages}
    assert len(links) == 3
    assert all(m.extra_headers["List-Unsubscribe"][1:-1] in m.body for m in messages)


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("kind", KINDS)
def test_admin_preview_renders_every_kind_in_both_languages(admin_client, announced, kind, language):
    response = admin_client.get(
        f"/admin/maintenance/window/{announced.pk}/preview-email/", {"kind": kind, "language": language}
    )
    assert response.status_code == 200
    message = response.context["message"]
    assert message.subject and "XOFFPEAK" not in message.body
    if kind not in ("confirm", "already_subscribed"):
        assert response.context["ics"].startswith("BEGIN:VCALENDAR")
    expected = {"en": "Unsubscribe", "de": "Abmelden"}[language]
    if kind != "confirm":
        assert expected in message.body


def test_preview_of_a_planned_window_shows_it_as_announced(admin_client, window):
    response = admin_client.get(f"/admin/maintenance/window/{window.pk}/preview-email/", {"kind": "announcement"})
    assert "SEQUENCE:1" in response.context["ics"]
    window.refresh_from_db()
    assert (window.status, window.sequence) == ("planned", 0)


def test_a_german_subscriber_reads_the_german_summary_and_others_fall_back_to_english(announced, make_subscriber):
    announced.release_summary_translations = {"de": "Schnellere Exporte."}
    announced.save(update_fields=["release_summary_translations"])
    greta = make_subscriber("greta@example.com", language="de")
    ada = make_subscriber("ada@example.com", language="en")
    german = parsed(build_message(delivery(announced, greta)))
    english = parsed(build_message(delivery(announced, ada)))
    for part in ("plain", "html"):
        assert "Schnellere Exporte." in german.get_body((part,)).get_content()
        assert "Faster exports" not in german.get_body((part,)).get_content()
        assert "Faster exports" in english.get_body((part,)).get_content()
        assert "Schnellere" not in english.get_body((part,)).get_content()
