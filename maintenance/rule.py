"""The release-window rule, as pure functions.

For a region and a month: the last Saturday of that month in the region's
calendar, at the region's off-peak wall-clock time, lasting ``minutes`` of
elapsed time. A wall time in a DST gap takes the UTC offset before the gap and
an ambiguous one means its first occurrence (RFC 5545, DATE-TIME; ``fold=0``).

Nothing here touches the database or the clock, so every answer depends only
on the arguments.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import total_ordering
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from dateutil.rrule import MONTHLY, SA, rrule

MIN_MINUTES = 1
MAX_MINUTES = 60


@total_ordering
@dataclass(frozen=True)
class Month:
    """A calendar month, ordered and printable as ``YYYY-MM``."""

    year: int
    month: int

    def __post_init__(self):
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9998:
            raise ValueError(f"{self.year:04d}-{self.month:02d} is not a month.")

    @classmethod
    def parse(cls, text):
        """Parse ``YYYY-MM``; raise ValueError with a readable message otherwise."""
        try:
            year_text, month_text = text.split("-")
            if len(year_text) != 4 or len(month_text) != 2:
                raise ValueError
            return cls(int(year_text), int(month_text))
        except ValueError:
            raise ValueError(f"{text!r} is not a month; use YYYY-MM, for example 2026-11.") from None

    @classmethod
    def of(cls, day):
        return cls(day.year, day.month)

    def __str__(self):
        return f"{self.year:04d}-{self.month:02d}"

    def __lt__(self, other):
        return (self.year, self.month) < (other.year, other.month)

    @property
    def first_day(self):
        return date(self.year, self.month, 1)

    def plus(self, months):
        index = self.year * 12 + self.month - 1 + months
        return Month(index // 12, index % 12 + 1)

    def next(self):
        return self.plus(1)


@dataclass(frozen=True)
class Slot:
    """One window worked out by the rule; ``starts_at`` and ``ends_at`` are UTC."""

    month: Month
    starts_at: datetime
    ends_at: datetime


def zone(name):
    """Return the ZoneInfo for an IANA name, or raise ValueError naming it."""
    if not isinstance(name, str) or not name or name not in _zone_names():
        raise ValueError(f"{name!r} is not an IANA time zone, such as Europe/Berlin.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not an IANA time zone, such as Europe/Berlin.") from None


_ZONE_NAMES = None


def forget_zone_data():
    """Read time-zone data afresh: after a ``tzdata`` upgrade, the next lookups see the new rules."""
    global _ZONE_NAMES
    _ZONE_NAMES = None
    ZoneInfo.clear_cache()


def _zone_names():
    global _ZONE_NAMES
    if _ZONE_NAMES is None:
        _ZONE_NAMES = frozenset(available_timezones())
    return _ZONE_NAMES


def check_minutes(minutes):
    if not isinstance(minutes, int) or isinstance(minutes, bool) or not MIN_MINUTES <= minutes <= MAX_MINUTES:
        raise ValueError(f"A window lasts {MIN_MINUTES} to {MAX_MINUTES} minutes; got {minutes!r}.")
    return minutes


def last_saturday(month):
    """The date of the last Saturday of ``month`` (the same in every calendar)."""
    start = datetime(month.year, month.month, 1)
    return rrule(MONTHLY, dtstart=start, byweekday=SA(-1), count=1)[0].date()


def wall_to_utc(day, wall, tz):
    """The UTC instant of wall-clock ``wall`` on ``day`` in ``tz``.

    ``fold=0`` gives RFC 5545's reading: the offset before a gap, and the first
    of two occurrences in an overlap.
    """
    return datetime.combine(day, wall.replace(tzinfo=None, fold=0), tzinfo=tz).astimezone(UTC)


def window(month, tz, wall, minutes):
    """The window of ``month`` for a region in ``tz`` starting at ``wall``."""
    check_minutes(minutes)
    starts_at = wall_to_utc(last_saturday(month), wall, tz)
    return Slot(month=month, starts_at=starts_at, ends_at=starts_at + timedelta(minutes=minutes))


def windows(first, count, tz, wall, minutes):
    """``count`` consecutive months of windows from ``first``."""
    return [window(first.plus(i), tz, wall, minutes) for i in range(count)]


def local_month(instant, tz):
    """The month that ``instant`` falls in on the wall clock of ``tz``."""
    return Month.of(instant.astimezone(tz))


def parse_wall_time(text):
    """Parse ``HH:MM`` (24-hour); raise ValueError with a readable message otherwise."""
    try:
        hours, minutes = text.split(":")
        if len(hours) != 2 or len(minutes) != 2:
            raise ValueError
        return time(int(hours), int(minutes))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day; use HH:MM, for example 22:00.") from None
