"""What the emails say about time: an extension while a window runs, old and new times of a reschedule, the date of
each subject line in the reader's zone, German dates in German form, and a confirmation link that fits the card."""

import email
from datetime import timedelta
from email import policy

import icalendar
import pytest

from maintenance import lifecycle
from notifications import schedule
from notifications.emails import build_message
from notifications.models import Delivery
from tests.conftest import NOW


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


def calendar_event(mime):
    [attachment] = list(mime.iter_attachments())
    [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
    return event


@pytest.fixture
def running(window, make_subscriber):
    """Frankfurt's window (21:00-22:00 UTC) announced to Ada (sent), started on time; Bob, who chose start and end
    notices, and Cy, who did not, subscribed after the announcement."""
    ada = make_subscriber("ada@example.com")
    lifecycle.announce(window, now=NOW)
    schedule.create_due(NOW)
    Delivery.objects.filter(subscriber=ada).update(status=Delivery.Status.SENT)
    bob = make_subscriber("bob@example.com", notify_start_end=True)
    make_subscriber("cy@example.com")
    window.refresh_from_db()
    lifecycle.start(window, now=window.starts_at)
    return window, ada, bob


def test_an_extension_of_a_running_window_tells_start_end_and_announcement_recipients_once(running):
    window, ada, bob = running
    later = window.starts_at + timedelta(minutes=50)
    lifecycle.extend(window, 15, now=later)
    window.refresh_from_db()
    assert schedule.create_due(later)[Delivery.Kind.EXTENDED] == 2
    assert sum(schedule.create_due(later).values()) == 0
    rows = Delivery.objects.filter(kind=Delivery.Kind.EXTENDED).order_by("subscriber__email")
    assert [(row.subscriber.email, row.sequence) for row in rows] == [
        ("ada@example.com", window.sequence),
        ("bob@example.com", window.sequence),
    ]
    mime = parsed(build_message(rows[0]))
    # 22:15 UTC is 23:15 in Berlin, the zone of a subscriber who gave none.
    assert mime["Subject"] == "Maintenance in EU (Frankfurt) takes longer: now ends Saturday, Nov. 28, 2026, 23:15 CET"
    text = mime.get_body(("plain",)).get_content()
    assert "is taking longer than planned. It now ends Saturday, Nov. 28, 2026, 23:15 CET." in text
    assert "The planned end was Saturday, Nov. 28, 2026, 23:00 CET." in text
    event = calendar_event(mime)
    assert event["SEQUENCE"] == window.sequence == 2
    assert event.decoded("DTEND") == window.ends_at == NOW.replace(day=28, hour=22, minute=15)


def test_a_second_extension_sends_again_and_a_window_never_extended_sends_nothing(running):
    window, ada, bob = running
    assert schedule.create_due(window.starts_at + timedelta(minutes=10))[Delivery.Kind.EXTENDED] == 0
    lifecycle.extend(window, 15, now=window.starts_at + timedelta(minutes=40))
    schedule.create_due(window.starts_at + timedelta(minutes=40))
    lifecycle.extend(window, 15, now=window.starts_at + timedelta(minutes=60))
    assert schedule.create_due(window.starts_at + timedelta(minutes=60))[Delivery.Kind.EXTENDED] == 2
    assert Delivery.objects.filter(kind=Delivery.Kind.EXTENDED).count() == 4


def test_an_extension_in_german_uses_german_dates(running, make_subscriber):
    window, ada, bob = running
    bob.language = "de"
    bob.timezone = "Asia/Tokyo"
    bob.save()
    lifecycle.extend(window, 15, now=window.starts_at + timedelta(minutes=50))
    schedule.create_due(window.starts_at + timedelta(minutes=50))
    message = build_message(Delivery.objects.get(kind=Delivery.Kind.EXTENDED, subscriber=bob))
    assert message.subject == "Wartung in EU (Frankfurt) dauert länger: jetzt bis Sonntag, 29. November 2026, 07:15 JST"


def test_a_reschedule_shows_the_old_and_the_new_times(window, make_subscriber):
    ada = make_subscriber("ada@example.com")
    lifecycle.announce(window, now=NOW)
    old_start = window.starts_at
    lifecycle.reschedule(window, old_start + timedelta(days=1), old_start + timedelta(days=1, hours=1), now=NOW)
    window.refresh_from_db()
    row = Delivery.objects.create(
        window=window, subscriber=ada, kind=Delivery.Kind.RESCHEDULED, sequence=window.sequence, created_at=NOW
    )
    mime = parsed(build_message(row))
    assert mime["Subject"] == "Maintenance in EU (Frankfurt) has new times, now on Sunday, November 29: Monthly release"
    text = mime.get_body(("plain",)).get_content()
    html = mime.get_body(("html",)).get_content()
    new, old = text.split("The earlier times, which no longer apply:")
    assert "Starts: Sunday, Nov. 29, 2026, 22:00 CET" in new and "Saturday, Nov. 28" not in new
    assert "Starts: Saturday, Nov. 28, 2026, 22:00 CET" in old and "Ends:   Saturday, Nov. 28, 2026, 23:00 CET" in old
    assert "The earlier times, which no longer apply" in html and "Saturday, Nov. 28, 2026, 22:00 CET" in html


@pytest.mark.parametrize(
    ("zone", "language", "subject"),
    [
        ("", "en", "Scheduled maintenance in EU (Frankfurt) on Saturday, November 28: Monthly release"),
        ("Asia/Tokyo", "en", "Scheduled maintenance in EU (Frankfurt) on Sunday, November 29: Monthly release"),
        ("Asia/Tokyo", "de", "Geplante Wartung in EU (Frankfurt) am Sonntag, 29. November: Monatliches Release"),
    ],
)
def test_subject_lines_carry_the_date_in_the_subscribers_zone(window, make_subscriber, zone, language, subject):
    person = make_subscriber(timezone=zone, language=language)
    lifecycle.announce(window, now=NOW)
    window.refresh_from_db()
    row = Delivery.objects.create(
        window=window, subscriber=person, kind=Delivery.Kind.ANNOUNCEMENT, sequence=window.sequence, created_at=NOW
    )
    assert parsed(build_message(row))["Subject"] == subject


def test_german_dates_have_the_day_with_a_full_stop(window, make_subscriber):
    person = make_subscriber(language="de")
    lifecycle.announce(window, now=NOW)
    window.refresh_from_db()
    for kind in (Delivery.Kind.ANNOUNCEMENT, Delivery.Kind.CANCELLED):
        row = Delivery(window=window, subscriber=person, kind=kind, sequence=window.sequence, created_at=NOW)
        mime = parsed(build_message(row))
        text = mime.get_body(("plain",)).get_content()
        assert "Samstag, 28. November 2026, 22:00 CET" in text and "28 November" not in text
        assert "28. November" in mime["Subject"]


def test_the_confirmation_link_wraps_inside_the_card(make_subscriber):
    person = make_subscriber(state="pending")
    row = Delivery.objects.create(subscriber=person, kind=Delivery.Kind.CONFIRM, sequence=1, created_at=NOW)
    html = parsed(build_message(row)).get_body(("html",)).get_content()
    card = html[html.index("max-width:600px") :]
    assert "overflow-wrap:anywhere" in card[: card.index(">")]
    link = html[html.rindex("<a ", 0, html.rindex("/subscription/confirm/")) :]
    assert 'style="word-break:break-all;overflow-wrap:anywhere;"' in link[: link.index(">")]
