"""The SLA ledger: availability of each region in each of its local calendar months.

Rules (README.md, "SLA accounting"):

- The month is the region's local calendar month; its minutes are real elapsed
  minutes, so a month with a DST change has 60 minutes more or less.
- Incident time in the region counts, as a union: overlapping incidents count once.
  An open incident runs until now.
- Incident time inside an *announced* window (announced and not cancelled),
  between its announced start and end, is excluded.
- A window that ran (in progress or completed) counts by itself: all of its
  actual time when it was never announced, and the part of its actual time
  outside the announced interval when it was announced (an overrun past the
  end, or an early start).
- Downtime is the union of all of that, clipped to the month.

Figures: ``minutes_in_month`` is an integer. ``downtime_minutes`` is exact: an
integer when the downtime is a whole number of minutes (it always is when every
input time is on a whole minute), otherwise the minutes rounded to 2 decimals.
``availability_percent`` is ``100 × (1 − downtime ÷ minutes)`` rounded to 4
decimals; ``met`` compares the unrounded value with ``SLA_TARGET``.

The interval arithmetic is pure (no database, no clock); ``ledger`` is the thin
part that reads the database.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from maintenance.rule import Month

MINUTE = timedelta(minutes=1)


# --- pure interval arithmetic ---------------------------------------------------
# An interval is a (start, end) pair of aware datetimes, half-open: [start, end).


def union(intervals):
    """The sorted, merged union of ``intervals``; empty ones are dropped."""
    merged = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals, holes):
    """``intervals`` minus ``holes``, as a sorted, merged list."""
    result = []
    holes = union(holes)
    for start, end in union(intervals):
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals, lo, hi):
    """The parts of ``intervals`` inside [lo, hi)."""
    return union((max(start, lo), min(end, hi)) for start, end in intervals)


def total(intervals):
    """The summed length of a union of ``intervals``."""
    return sum((end - start for start, end in union(intervals)), timedelta())


def month_bounds(month, tz):
    """The UTC instants where ``month`` starts and ends on the wall clock of ``tz``."""
    start = datetime(month.year, month.month, 1, tzinfo=tz).astimezone(UTC)
    following = month.next()
    end = datetime(following.year, following.month, 1, tzinfo=tz).astimezone(UTC)
    return start, end


def minutes_in_month(month, tz):
    start, end = month_bounds(month, tz)
    return (end - start) // MINUTE


@dataclass(frozen=True)
class RanWindow:
    """A window that ran: its actual interval, and its announced one when it was announced."""

    actual: tuple
    announced: tuple | None


def downtime(incidents, ran_windows, announced, lo, hi):
    """The downtime intervals inside [lo, hi).

    ``incidents``: the region's incident intervals (open ones already end at now);
    ``ran_windows``: RanWindow items; ``announced``: the announced windows'
    [starts_at, ends_at] intervals, which excuse incident time.
    """
    incident_time = subtract(incidents, announced)
    window_time = []
    for window in ran_windows:
        if window.announced is None:
            window_time.append(window.actual)
        else:
            window_time.extend(subtract([window.actual], [window.announced]))
    return clip(incident_time + window_time, lo, hi)


@dataclass(frozen=True)
class Row:
    region: object
    month: Month
    minutes_in_month: int
    downtime: timedelta
    availability: Fraction
    met: bool

    @property
    def downtime_minutes(self):
        """An int when whole, else a Decimal with 2 places."""
        minutes = Fraction(self.downtime / timedelta(microseconds=1)) / 60_000_000
        if minutes.denominator == 1:
            return int(minutes)
        return (Decimal(minutes.numerator) / Decimal(minutes.denominator)).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )

    @property
    def availability_percent(self):
        value = Decimal(self.availability.numerator) / Decimal(self.availability.denominator)
        return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def as_dict(self):
        return {
            "region": self.region.slug,
            "month": str(self.month),
            "minutes_in_month": self.minutes_in_month,
            "downtime_minutes": self.downtime_minutes,
            "availability_percent": self.availability_percent,
            "met": self.met,
        }


def row(region, month, tz, intervals, target):
    """One ledger row from the month's downtime intervals (pure)."""
    minutes = minutes_in_month(month, tz)
    lost = total(intervals)
    availability = 100 * (1 - Fraction(lost / timedelta(microseconds=1)) / (minutes * 60_000_000))
    return Row(region, month, minutes, lost, availability, availability >= Fraction(str(target)))


# --- the database part ---------------------------------------------------------


def ledger(months, now, regions=None, target=None):
    """Rows for each region (active ones by default) and each of ``months``, region-major.

    Three queries whatever the number of months, regions, incidents and windows.
    """
    from django.conf import settings
    from django.db.models import Q

    from maintenance.models import Incident, Region, Window

    target = settings.SLA_TARGET if target is None else target
    months = sorted(set(months), key=lambda m: (m.year, m.month))
    regions = list(regions if regions is not None else Region.objects.filter(active=True))
    if not months or not regions:
        return []
    bounds = {(r.pk, m): month_bounds(m, r.zone) for r in regions for m in months}
    lo = min(start for start, _ in bounds.values())
    hi = max(end for _, end in bounds.values())
    region_ids = [r.pk for r in regions]

    incidents = {r.pk: [] for r in regions}
    links = Incident.regions.through.objects.filter(region_id__in=region_ids, incident__started_at__lt=hi).filter(
        Q(incident__resolved_at__isnull=True) | Q(incident__resolved_at__gt=lo)
    )
    for region_id, started_at, resolved_at in links.values_list(
        "region_id", "incident__started_at", "incident__resolved_at"
    ):
        incidents[region_id].append((started_at, min(resolved_at or now, now)))

    ran = {r.pk: [] for r in regions}
    announced = {r.pk: [] for r in regions}
    windows = Window.objects.filter(region_id__in=region_ids).filter(
        Q(
            status__in=[Window.Status.IN_PROGRESS, Window.Status.COMPLETED],
            actual_start__lt=hi,
        )
        & (Q(actual_end__isnull=True) | Q(actual_end__gt=lo))
        | Q(announced_at__isnull=False, starts_at__lt=hi, ends_at__gt=lo) & ~Q(status=Window.Status.CANCELLED)
    )
    fields = ("region_id", "status", "starts_at", "ends_at", "actual_start", "actual_end", "announced_at")
    for w in windows.only(*fields, "announced_ends_at"):
        scheduled = (w.starts_at, w.promised_end) if w.announced_at is not None else None
        if scheduled and w.status != Window.Status.CANCELLED:
            announced[w.region_id].append(scheduled)
        if w.status in (Window.Status.IN_PROGRESS, Window.Status.COMPLETED) and w.actual_start:
            ran[w.region_id].append(RanWindow((w.actual_start, min(w.actual_end or now, now)), scheduled))

    rows = []
    for region in regions:
        for month in months:
            start, end = bounds[(region.pk, month)]
            lost = downtime(incidents[region.pk], ran[region.pk], announced[region.pk], start, min(end, now))
            rows.append(row(region, month, region.zone, lost, target))
    return rows


def current_month(now):
    """The month of ``now`` in UTC, the default the reports use."""
    return Month(now.year, now.month)


def last_months(now, count):
    """``count`` months ending with the current one, oldest first."""
    current = current_month(now)
    return [current.plus(-i) for i in range(count - 1, -1, -1)]
