"""An independent reading of the window rule, written for the tests only.

It walks the calendar day by day instead of asking dateutil, and finds the UTC
instant of a wall time by searching the zone's offsets around it instead of
relying on ``fold``. Slow, obvious and separate from ``maintenance.rule``.
"""

from datetime import UTC, date, datetime, timedelta


def last_saturday_by_walking(year, month):
    day, found = date(year, month, 1), None
    while day.month == month:
        if day.weekday() == 5:
            found = day
        day += timedelta(days=1)
    return found


def wall_to_utc_by_search(wall, tz):
    """The UTC instant for naive ``wall`` in ``tz``: the earliest match, or the pre-gap offset in a gap."""
    naive_as_utc = wall.replace(tzinfo=UTC)
    samples = [naive_as_utc + timedelta(minutes=15 * k) for k in range(-200, 201)]
    offsets = {sample.astimezone(tz).utcoffset() for sample in samples}
    matches = sorted(
        naive_as_utc - offset
        for offset in offsets
        if (naive_as_utc - offset).astimezone(tz).replace(tzinfo=None) == wall
    )
    if matches:
        return matches[0]
    # A gap: use the offset in force at the last moment the clock still read earlier than `wall`.
    before = [sample for sample in samples if sample.astimezone(tz).replace(tzinfo=None) < wall]
    return naive_as_utc - before[-1].astimezone(tz).utcoffset()


def window_by_oracle(year, month, tz, hour, minute, length):
    day = last_saturday_by_walking(year, month)
    start = wall_to_utc_by_search(datetime(day.year, day.month, day.day, hour, minute), tz)
    return start, start + timedelta(minutes=length)
