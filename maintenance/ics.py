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
    """The VCALENDAR of ``windows`` as bytes: exactly what ``build_calendar(...).to_ical()`` gives (a test holds
    them equal), written line by line, because the feeds serve a year of windows and icalendar's objects cost
    tens of milliseconds for them."""
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        _line("PRODID", _text(PRODID)),
        "CALSCALE:GREGORIAN",
        _line("METHOD", _text(method)),
        _line("X-WR-CALNAME", _text(str(name))),
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ]
    host = urlsplit(site_url).hostname or "localhost"
    base = site_url.rstrip("/")
    for window in windows:
        url = base + WINDOW_PATH.format(id=window.pk)
        summary = window.release_summary.strip()
        region = window.region.name
        # icalendar's order: its canonical properties first, then the others alphabetically.
        lines += [
            "BEGIN:VEVENT",
            _line("SUMMARY", _text(f"{region}: {window.display_title()}")),
            _line("DTSTART", _stamp(window.starts_at)),
            _line("DTEND", _stamp(window.ends_at)),
            _line("DTSTAMP", _stamp(window.updated_at)),
            _line("UID", _text(f"window-{window.pk}@{host}")),
            _line("SEQUENCE", str(window.sequence)),
            "CLASS:PUBLIC",
            _line("CREATED", _stamp(window.created_at)),
            _line("DESCRIPTION", _text(f"{summary}\n\n{url}" if summary else url)),
            _line("LAST-MODIFIED", _stamp(window.updated_at)),
            _line("LOCATION", _text(region)),
            _line("STATUS", "CANCELLED" if method == CANCEL else ICS_STATUS[window.status]),
            "TRANSP:OPAQUE",
            _line("URL", url),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _text(value):
    """A TEXT value escaped as RFC 5545 (3.3.11) and icalendar do it, in icalendar's order of replacements."""
    return (
        value.replace("\\N", "\n")
        .replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def _stamp(value):
    """A DATE-TIME in UTC, to the second: ``20261128T210000Z``."""
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _line(name, value):
    """``NAME:value`` folded as RFC 5545 (3.1) and icalendar do it: lines of at most 74 octets, continued with a
    space. icalendar reads the value back as UTF-8 with a signature, which drops a leading BOM; so does this."""
    if value.startswith("\ufeff"):
        value = value[1:]
    line = f"{name}:{value}"
    if line.isascii():
        if len(line) < 75:
            return line
        return "\r\n ".join(line[i : i + 74] for i in range(0, len(line), 74))
    parts, size = [], 0
    for char in line:
        width = len(char.encode())
        size += width
        if size >= 75:
            parts.append("\r\n ")
            size = width
        parts.append(char)
    return "".join(parts)


def _utc(value):
    return value.astimezone(UTC)
