"""iCalendar for windows: one builder shared by the feeds and the email attachments.

Pure of requests and URLs routing: the caller passes the site's base URL. The
event's UID is stable for the life of the window (``window-<id>@<host>``) and
its SEQUENCE is the window's, so calendar clients update the same event when a
window is rescheduled or cancelled.
"""

from datetime import UTC
from urllib.parse import urlsplit

from django.utils.translation import get_language
from icalendar import Calendar, Event

from maintenance.models import Window

PRODID = "-//Offpeak//Release windows//EN"
WINDOW_PATH = "/windows/{id}/"
PUBLISH = "PUBLISH"
CANCEL = "CANCEL"

ICS_STATUS = {
    Window.Status.PLANNED: "TENTATIVE",
    Window.Status.SCHEDULED: "CONFIRMED",
    Window.Status.IN_PROGRESS: "CONFIRMED",
    Window.Status.COMPLETED: "CONFIRMED",
    Window.Status.CANCELLED: "CANCELLED",
}


def window_uid(window, site_url):
    host = urlsplit(site_url).hostname or "localhost"
    return f"window-{window.pk}@{host}"


def window_url(window, site_url):
    return site_url.rstrip("/") + WINDOW_PATH.format(id=window.pk)


def build_event(window, site_url, method=PUBLISH):
    """The VEVENT of one window (its region must be loaded or loadable), its title and release summary in the active
    language."""
    url = window_url(window, site_url)
    event = Event()
    event.add("uid", window_uid(window, site_url))
    event.add("sequence", window.sequence)
    event.add("dtstamp", _utc(window.updated_at))
    event.add("created", _utc(window.created_at))
    event.add("last-modified", _utc(window.updated_at))
    event.add("dtstart", _utc(window.starts_at))
    event.add("dtend", _utc(window.ends_at))
    event.add("summary", f"{window.region.name}: {window.display_title()}")
    summary = window.summary_in(get_language()).strip()
    event.add("description", f"{summary}\n\n{url}" if summary else url)
    event.add("url", url)
    event.add("location", window.region.name)
    status = "CANCELLED" if method == CANCEL else ICS_STATUS[window.status]
    event.add("status", status)
    event.add("transp", "OPAQUE")
    event.add("class", "PUBLIC")
    return event


def build_calendar(windows, site_url, name, method=PUBLISH, refresh="PT1H"):
    """A VCALENDAR with one VEVENT per window, in the order given."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", method)
    calendar.add("x-wr-calname", str(name))
    if refresh:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", refresh)
    for window in windows:
        calendar.add_component(build_event(window, site_url, method))
    return calendar


def calendar_bytes(windows, site_url, name, method=PUBLISH):
    return build_calendar(windows, site_url, name, method).to_ical()


def _utc(value):
    return value.astimezone(UTC)
