"""A window's dates and times in words, in the active language's own format.

The patterns are Django date formats looked up by name for the active language (``FORMAT_MODULE_PATH``, one
module per language in ``statuspage/formats/``), so each language writes dates its own way: "Saturday, Dec. 26,
2026, 22:00 CET", "Samstag, 26. Dezember 2026, 22:00 CET", "2026年12月26日(土) 22:00 CET". Times are always 24-hour
with the zone's abbreviation. A language without a module gets the English patterns below.
"""

from datetime import UTC

from django.utils import dateformat
from django.utils.formats import get_format

DATETIME = "WEEKDAY_DATETIME_FORMAT"
DATE = "WEEKDAY_DATE_FORMAT"
MONTH_DAY = "WEEKDAY_MONTH_DAY_FORMAT"

ENGLISH = {
    DATETIME: "l, N j, Y, H:i T",
    DATE: "l, N j, Y",
    MONTH_DAY: "l, F j",
}


class _Format(dateformat.DateFormat):
    def T(self):  # noqa: N802 (Django's name for the format character)
        """The zone's abbreviation from the datetime itself: Django's leaves it out in the repeated hour of a
        clock change, where the wall time alone is ambiguous but the instant is not."""
        return self.data.tzname() or ""


def pattern(name):
    """The active language's pattern called ``name`` (one of the names above)."""
    found = get_format(name)
    # get_format gives back the name itself when no module of the active language defines it.
    return ENGLISH[name] if found == name else found


def weekday(value):
    """The abbreviated weekday in the active language ("Sat", "Sa", "土"), for the admin's ISO dates."""
    return _Format(value).format("D")


def instant(value, zone):
    """``value`` (an aware datetime) in ``zone`` with its weekday, date, time and zone abbreviation; never raises
    for a stored time (one past the calendar's end in ``zone``, such as 9999-12-31 22:00 UTC in Tokyo, is shown in
    UTC)."""
    try:
        local = value.astimezone(zone)
    except OverflowError:
        local = value.astimezone(UTC)
    return _Format(local).format(pattern(DATETIME))


def day(value):
    """A date (or a datetime's own date) with its weekday and year."""
    return _Format(value).format(pattern(DATE))


def month(value):
    """A calendar month ("December 2026", "Dezember 2026", "2026年12月"): Django's own YEAR_MONTH_FORMAT."""
    return _Format(value).format(get_format("YEAR_MONTH_FORMAT"))


def month_day(value, zone):
    """``value``'s local date in ``zone`` with its weekday and without the year, as in a subject line."""
    return _Format(value.astimezone(zone)).format(pattern(MONTH_DAY))
