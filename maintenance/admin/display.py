"""How the admin shows times and audit entries: 24-hour clock, the zone named, no raw JSON, no microseconds."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.translation import gettext

from maintenance import dates

UTC = ZoneInfo("UTC")
ISO_INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def instant(value, zone=UTC):
    """``2026-11-28 22:00 CET`` in ``zone`` (UTC by default)."""
    local = value.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local:%Z}"


def span(starts_at, ends_at, zone=UTC):
    """``Sat 2026-11-28 22:00–23:00 CET``: a window's times in ``zone``, the end's date only when it differs."""
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    end_text = f"{end:%H:%M}" if end.date() == start.date() else f"{end:%Y-%m-%d %H:%M}"
    return f"{dates.weekday(start)} {start:%Y-%m-%d %H:%M}–{end_text} {end:%Z}"


def local_span(window):
    """The window in its region's zone, the zone's name included: ``Sat 2026-11-28 22:00–23:00 CET (Europe/Berlin)``."""
    return f"{span(window.starts_at, window.ends_at, window.region.zone)} ({window.region.timezone})"


def utc_span(window):
    return span(window.starts_at, window.ends_at)


def value_text(value):
    """One audited value as a person reads it."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if isinstance(value, str) and ISO_INSTANT.match(value):
        try:
            return instant(datetime.fromisoformat(value))
        except ValueError:
            return value
    if isinstance(value, dict):
        return "; ".join(f"{key}: {value_text(item)}" for key, item in value.items()) or "—"
    if value == "":
        return gettext("(empty)")
    text = str(value)
    return text if len(text) <= 80 else f"{text[:79]}…"


def changes_text(changes):
    """An audit event's ``{field: [old, new]}`` as ``starts at: 2026-11-28 21:00 UTC → 2026-12-05 21:00 UTC; …``."""
    parts = []
    for field, pair in (changes or {}).items():
        old, new = pair if isinstance(pair, list | tuple) and len(pair) == 2 else (None, pair)
        parts.append(f"{field.replace('_', ' ')}: {value_text(old)} → {value_text(new)}")
    return "; ".join(parts)
