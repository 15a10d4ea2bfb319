"""maintenance/ics.py: the one VEVENT builder the feeds and the email attachments share."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from maintenance import ics, lifecycle
from maintenance.models import Region, Window


@pytest.fixture
def japan_january(regions):
    """A Japan window of January 2027 with a release summary, made by hand: the builder needs no planning."""
    return Window.objects.create(
        region=regions["japan"],
        month="2027-01-01",
        starts_at=datetime(2027, 1, 30, 13, 0, tzinfo=UTC),
        ends_at=datetime(2027, 1, 30, 14, 0, tzinfo=UTC),
        release_summary="Faster CSV export.",
    )


def test_event_carries_stable_uid_sequence_times_and_link(japan_january):
    window = japan_january
    lifecycle.announce(window, now=datetime(2027, 1, 20, tzinfo=UTC))
    window.refresh_from_db()
    event = ics.build_event(window, "https://status.example.com")
    assert str(event["UID"]) == f"window-{window.pk}@status.example.com"
    assert event["SEQUENCE"] == 1
    assert event.decoded("DTSTART") == window.starts_at and event["DTSTART"].to_ical() == b"20270130T130000Z"
    assert event["DTEND"].to_ical() == b"20270130T140000Z"
    assert str(event["SUMMARY"]) == "Japan: Monthly release"
    assert str(event["URL"]) == f"https://status.example.com/windows/{window.pk}/"
    assert str(event["DESCRIPTION"]) == f"Faster CSV export.\n\nhttps://status.example.com/windows/{window.pk}/"
    assert str(event["STATUS"]) == "CONFIRMED"


def test_cancel_method_marks_the_event_cancelled(japan_january):
    window = japan_january
    lifecycle.cancel(window)
    window.refresh_from_db()
    calendar = Calendar.from_ical(ics.calendar_bytes([window], "https://status.example.com", "Notice", ics.CANCEL))
    assert str(calendar["METHOD"]) == "CANCEL"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED" and event["SEQUENCE"] == 1


def test_planned_window_is_tentative_and_the_calendar_has_the_required_headers(japan_january):
    window = japan_january
    calendar = Calendar.from_ical(ics.calendar_bytes([window], "http://127.0.0.1:8000", "Offpeak maintenance"))
    assert (str(calendar["PRODID"]), str(calendar["VERSION"]), str(calendar["X-WR-CALNAME"])) == (
        "-//Offpeak//Release windows//EN",
        "2.0",
        "Offpeak maintenance",
    )
    assert str(calendar["METHOD"]) == "PUBLISH"
    (event,) = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "TENTATIVE" and str(event["UID"]) == f"window-{window.pk}@127.0.0.1"


TEXT = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=120) | st.sampled_from(
    ["", "a,b;c\\d", "line\r\nbreak\nand \\N and \\n", "\ufeffBOM first", "é" * 40, "日本" * 30, "x" * 200]
)
INSTANT = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC))


@st.composite
def windows(draw):
    starts_at = draw(INSTANT)
    return Window(
        pk=draw(st.integers(1, 10**9)),
        region=Region(name=draw(TEXT.filter(str.strip)), slug="r"),
        month=starts_at.date().replace(day=1),
        title=draw(TEXT),
        release_summary=draw(TEXT),
        sequence=draw(st.integers(0, 10**6)),
        status=draw(st.sampled_from(Window.Status.values)),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=draw(st.integers(1, 60))),
        created_at=draw(INSTANT),
        updated_at=draw(INSTANT),
    )


@settings(max_examples=300, deadline=None)
@given(
    st.lists(windows(), max_size=4),
    st.sampled_from(["https://status.example.com", "http://127.0.0.1:8000/", "https://ex.com/status/"]),
    TEXT,
    st.sampled_from([ics.PUBLISH, ics.CANCEL]),
)
def test_calendar_bytes_are_what_icalendar_writes(window_list, site_url, name, method):
    """The feeds' fast writer and icalendar (the email attachments' builder) give the same bytes, escaping,
    folding of long and multi-byte lines and property order included."""
    expected = ics.build_calendar(window_list, site_url, name, method).to_ical()
    assert ics.calendar_bytes(window_list, site_url, name, method) == expected
