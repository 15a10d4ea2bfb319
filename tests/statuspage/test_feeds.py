from datetime import UTC, datetime, timedelta

import feedparser
from icalendar import Calendar

from maintenance import lifecycle
from maintenance.models import AuditEvent, Window
from tests.conftest import NOW


def parse_ics(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    return Calendar.from_ical(response.content)


def test_all_regions_calendar_has_one_event_per_window_with_the_required_properties(client, history):
    lifecycle.announce(Window.objects.get(region__slug="japan", month="2026-11-01"))
    lifecycle.cancel(Window.objects.get(region__slug="us", month="2026-12-01"))
    calendar = parse_ics(client.get("/feeds/maintenance.ics"))
    assert str(calendar["PRODID"]) == "-//Offpeak//Release windows//EN"
    assert str(calendar["VERSION"]) == "2.0"
    assert str(calendar["X-WR-CALNAME"]) == "Offpeak maintenance"
    events = calendar.walk("VEVENT")
    horizon = Window.objects.filter(starts_at__gte=NOW - timedelta(days=90), starts_at__lt=NOW + timedelta(days=400))
    # August 2026 to November 2027 (October for the US, whose planning began in its own July)
    assert len(events) == horizon.count() == Window.objects.count() == 6 * 16 + 15
    by_uid = {str(e["UID"]): e for e in events}
    assert len(by_uid) == len(events)
    for window in horizon.select_related("region"):
        event = by_uid[f"window-{window.pk}@127.0.0.1"]
        assert event["SEQUENCE"] == window.sequence
        assert event.decoded("DTSTART") == window.starts_at and event.decoded("DTSTART").tzinfo is not None
        assert event.decoded("DTEND") == window.ends_at
        assert event["DTSTART"].to_ical().endswith(b"Z") and event["DTEND"].to_ical().endswith(b"Z")
        assert event.decoded("DTSTAMP").utcoffset() == timedelta(0)
        assert str(event["SUMMARY"]) == f"{window.region.name}: Monthly release"
        url = f"http://127.0.0.1:8000/windows/{window.pk}/"
        assert str(event["URL"]) == url and url in str(event["DESCRIPTION"])
        expected = {"planned": "TENTATIVE", "cancelled": "CANCELLED"}.get(window.status, "CONFIRMED")
        assert str(event["STATUS"]) == expected


def test_a_calendar_takes_one_query_whatever_the_number_of_windows(client, history, django_assert_num_queries):
    with django_assert_num_queries(1):
        everything = client.get("/feeds/maintenance.ics")
    with django_assert_num_queries(2):  # the region, then its windows
        frankfurt = client.get("/feeds/eu-frankfurt.ics")
    assert everything.content.count(b"BEGIN:VEVENT") == Window.objects.count() == 111
    assert frankfurt.content.count(b"BEGIN:VEVENT") == 16


def test_status_and_sequence_follow_the_lifecycle(client, history):
    window = Window.objects.get(region__slug="japan", month="2026-12-01")
    uid = f"window-{window.pk}@127.0.0.1"

    def event():
        calendar = parse_ics(client.get("/feeds/japan.ics"))
        return next(e for e in calendar.walk("VEVENT") if str(e["UID"]) == uid)

    assert (str(event()["STATUS"]), event()["SEQUENCE"]) == ("TENTATIVE", 0)
    lifecycle.announce(window)
    assert (str(event()["STATUS"]), event()["SEQUENCE"]) == ("CONFIRMED", 1)
    new_start = window.starts_at + timedelta(hours=1)
    lifecycle.reschedule(window, new_start, new_start + timedelta(minutes=45))
    moved = event()
    assert moved["SEQUENCE"] == 2 and moved.decoded("DTSTART") == new_start
    lifecycle.cancel(window)
    assert (str(event()["STATUS"]), event()["SEQUENCE"]) == ("CANCELLED", 3)


def test_region_calendar_holds_only_that_region(client, history):
    calendar = parse_ics(client.get("/feeds/eu-frankfurt.ics"))
    assert str(calendar["X-WR-CALNAME"]) == "Offpeak maintenance: EU (Frankfurt)"
    events = calendar.walk("VEVENT")
    assert len(events) == 16
    assert {str(e["SUMMARY"]) for e in events} == {"EU (Frankfurt): Monthly release"}


def test_unknown_region_calendar_is_404(client, history):
    assert client.get("/feeds/atlantis.ics").status_code == 404


def test_calendar_answers_conditional_get(client, history):
    first = client.get("/feeds/maintenance.ics")
    assert client.get("/feeds/maintenance.ics", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    lifecycle.announce(Window.objects.get(region__slug="india", month="2026-11-01"))
    assert client.get("/feeds/maintenance.ics", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 200


def news(client, kind):
    response = client.get(f"/feeds/maintenance.{kind}")
    assert response.status_code == 200
    parsed = feedparser.parse(response.content)
    assert not parsed.bozo, parsed.get("bozo_exception")
    return response, parsed


def test_atom_and_rss_have_one_entry_per_announcement_reschedule_cancellation_start_and_completion(client, history):
    planned = Window.objects.get(region__slug="us", month="2027-03-01")
    lifecycle.cancel(planned)  # a planned window is not news, nor is its cancellation
    window = Window.objects.get(region__slug="japan", month="2026-12-01")
    lifecycle.announce(window)
    new_start = window.starts_at + timedelta(hours=2)
    lifecycle.reschedule(window, new_start, new_start + timedelta(minutes=30), reason="Longer tests")
    lifecycle.cancel(window, reason="Release moved to January")
    past_events = AuditEvent.objects.filter(action__in=["announce", "start", "complete"]).count()
    assert past_events == 21 * 3 + 1  # August to October, three actions each, and the new announcement
    for kind, content_type in (("atom", "application/atom+xml"), ("rss", "application/rss+xml")):
        response, parsed = news(client, kind)
        assert response["Content-Type"].startswith(content_type)
        entries = parsed.entries
        assert len(entries) == 50  # the most recent 50
        ids = [entry.id for entry in entries]
        assert len(set(ids)) == 50
        titles = [entry.title for entry in entries]
        assert titles[0] == "Japan: maintenance on Sunday, Dec. 27, 2026, 00:00 JST cancelled"
        assert titles[1].startswith("Japan: maintenance moved to Sunday, Dec. 27, 2026, 00:00 JST")
        assert titles[2] == "Japan: maintenance announced for Saturday, Dec. 26, 2026, 22:00 JST"
        assert not any(t.startswith("United States: maintenance on") for t in titles)
        assert "Release moved to January" in entries[0].summary
        assert entries[0].link.startswith(f"http://127.0.0.1:8000/windows/{window.pk}/#event-")


def test_a_news_feed_takes_two_queries_whatever_the_number_of_entries(client, history, django_assert_num_queries):
    for window in Window.objects.filter(status="planned").order_by("starts_at")[:20]:
        lifecycle.announce(window)
    with django_assert_num_queries(2):  # the events with their windows and regions, then the windows' moves
        atom = client.get("/feeds/maintenance.atom")
    assert len(feedparser.parse(atom.content).entries) == 50


def test_news_entries_keep_the_times_they_announced(client, history):
    window = Window.objects.get(region__slug="eu-frankfurt", month="2026-12-01")
    lifecycle.announce(window)
    new_start = datetime(2026, 12, 26, 22, 0, tzinfo=UTC)
    lifecycle.reschedule(window, new_start, new_start + timedelta(minutes=60))
    _, parsed = news(client, "atom")
    assert parsed.entries[1].title == "EU (Frankfurt): maintenance announced for Saturday, Dec. 26, 2026, 22:00 CET"
    assert parsed.entries[0].title == "EU (Frankfurt): maintenance moved to Saturday, Dec. 26, 2026, 23:00 CET"


def test_news_feed_answers_conditional_get(client, history):
    first = client.get("/feeds/maintenance.atom")
    assert client.get("/feeds/maintenance.atom", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
