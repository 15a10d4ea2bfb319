"""The iCalendar attachment of a window email.

Kept in one function so that it can be swapped for the site's shared calendar builder later.
"""

from datetime import UTC
from urllib.parse import urlsplit

from django.conf import settings
from icalendar import Calendar, Event

from maintenance.models import Window


def window_uid(window):
    return f"window-{window.pk}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}"


def window_ics(window, *, sequence=None, now=None):
    """The window as a one-event VCALENDAR (bytes): METHOD:PUBLISH, or METHOD:CANCEL once it is cancelled."""
    cancelled = window.status == Window.Status.CANCELLED
    cal = Calendar()
    cal.add("prodid", f"-//{settings.SITE_NAME}//Offpeak//EN")
    cal.add("version", "2.0")
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", window_uid(window))
    event.add("sequence", window.sequence if sequence is None else sequence)
    event.add("dtstamp", (now or window.updated_at).astimezone(UTC))
    event.add("dtstart", window.starts_at.astimezone(UTC))
    event.add("dtend", window.ends_at.astimezone(UTC))
    event.add("summary", f"{window.display_title()} – {window.region.name}")
    event.add("url", f"{settings.SITE_URL}/windows/{window.pk}/")
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    event.add("transp", "TRANSPARENT")
    if window.release_summary:
        event.add("description", window.release_summary)
    cal.add_component(event)
    return cal.to_ical()
