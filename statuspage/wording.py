"""Dates and times for the status page, worked out fast.

Formatting a date in the active language costs tens of microseconds; the status page shows hundreds of instants
but only a few dozen distinct calendar days. ``Words`` says each day once per render and reuses it, and otherwise
says exactly what the template filters in ``statuspage.templatetags.offpeak`` say (a test holds the two together).
"""

from datetime import UTC
from functools import lru_cache

from django.utils.formats import date_format
from django.utils.translation import get_language

from maintenance import dates
from statuspage.templatetags.offpeak import day

TIME = "H:i T"


class Words:
    """One render's date wording in the active language; make a new one per render (and per language)."""

    def __init__(self):
        self.language = get_language()
        self._days = {}
        self._months = {}
        # The language's date-and-time pattern is its date pattern, a separator and the time ("l, N j, Y" + ", " +
        # "H:i T"; "Y年n月j日(D)" + " " + "H:i T"): say the date once per day and join the time with that separator.
        # A language whose pattern is built otherwise has every instant formatted whole.
        with_time, date_only = dates.pattern(dates.DATETIME), dates.pattern(dates.DATE)
        joined = with_time.startswith(date_only) and with_time.endswith(TIME)
        self._separator = with_time[len(date_only) : -len(TIME)] if joined else None

    def day(self, value):
        """'Saturday, Nov. 28, 2026', as the ``day`` filter says."""
        words = self._days.get(value)
        if words is None:
            words = self._days[value] = day_in(self.language, value)
        return words

    def month(self, value):
        """The name of ``value``'s month, 'November', for a list of days whose year is plain from the context."""
        key = (value.year, value.month)
        words = self._months.get(key)
        if words is None:
            words = self._months[key] = date_format(value, "F")
        return words

    def when(self, value, zone):
        """'Saturday, Nov. 28, 2026, 22:00 JST', as the ``in_zone`` filter says."""
        if self._separator is None:
            return dates.instant(value, zone)
        try:
            local = value.astimezone(zone)
        except OverflowError:
            local = value.astimezone(UTC)
        return f"{self.day(local.date())}{self._separator}{local:%H:%M} {local.tzname()}"

    def utc(self, value):
        return self.when(value, UTC)

    def utc_span(self, start, end):
        """An incident's time in UTC, the date said once when it starts and ends on the same day."""
        if end is None:
            return self.utc(start)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if start.date() == end.date():
            return f"{self.day(start.date())}{self._separator or ', '}{start:%H:%M}–{end:%H:%M} UTC"
        return f"{self.utc(start)} – {self.utc(end)}"


@lru_cache(maxsize=4096)
def day_in(language, value):
    """A day's words in ``language`` (the active one: it is part of the key), kept for the life of the process, as
    the catalogues and formats are."""
    return day(value)
