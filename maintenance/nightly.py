"""Release night and the 12-month report, worked out from the windows: what the release-night page shows.

Nothing here writes: the page's buttons go through ``lifecycle``. The countdown and the report are plain functions of
windows and ``now``; only ``night_windows``, ``next_release_date`` and ``report`` read the database.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

from django.db.models import Q

from maintenance import rule
from maintenance.models import Region, Window

# A window started more than this after its (announced) start counts as a late start in the report.
LATE_START_GRACE = timedelta(minutes=5)
REPORT_MONTHS = 12
MINUTE = timedelta(minutes=1)

# What the page counts down to, per state (``Countdown.kind``).
STARTS = "starts"  # planned or scheduled, start ahead
DUE = "due"  # planned or scheduled, start passed, not started yet
ENDS = "ends"  # in progress, end ahead
OVERRUN = "overrun"  # in progress past the end promised to customers
DONE = "done"  # completed
CANCELLED = "cancelled"


@dataclass(frozen=True)
class Countdown:
    """``kind`` (one of the names above), the instant it counts to or from, and the signed seconds to it."""

    kind: str
    target: datetime | None
    seconds: int | None


def countdown(window, now):
    """What the window's countdown says at ``now``: the seconds left to its start or end, or past them."""
    status = window.status
    if status == Window.Status.CANCELLED:
        return Countdown(CANCELLED, None, None)
    if status == Window.Status.COMPLETED:
        return Countdown(DONE, window.actual_end, None)
    if status == Window.Status.IN_PROGRESS:
        if window.is_overrunning(now):
            return Countdown(OVERRUN, window.promised_end, _seconds(window.promised_end - now))
        return Countdown(ENDS, window.ends_at, _seconds(window.ends_at - now))
    if now < window.starts_at:
        return Countdown(STARTS, window.starts_at, _seconds(window.starts_at - now))
    return Countdown(DUE, window.starts_at, _seconds(window.starts_at - now))


def _seconds(delta):
    return int(delta.total_seconds() // 1)


def clock(seconds):
    """``H:MM:SS`` of the size of ``seconds`` (the sign is the caller's words: "in" or "ago")."""
    seconds = abs(int(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def local_date(window):
    """The calendar date of the window's start in its region's zone: the release date it belongs to."""
    return window.starts_at.astimezone(window.region.zone).date()


def night_windows(day):
    """Every window whose local start date is ``day``, cancelled ones too, in follow-the-sun order.

    Follow the sun: the region whose night comes first (Tokyo, Sydney) leads, the Americas close; that is the order
    of the UTC start, with the regions' display order breaking a tie.
    """
    # Local dates run from UTC-12 to UTC+14: a day's windows start within a day and a half either side.
    lo = datetime.combine(day, time(0), UTC) - timedelta(days=1)
    hi = datetime.combine(day, time(0), UTC) + timedelta(days=2)
    windows = Window.objects.filter(starts_at__gte=lo, starts_at__lt=hi).select_related("region")
    return sorted(
        (window for window in windows if local_date(window) == day),
        key=lambda window: (window.starts_at, window.region.position, window.pk),
    )


def next_release_date(now):
    """The release date to show by default: that of the earliest window still running or ahead, else this month's
    last Saturday."""
    window = (
        Window.objects.exclude(status__in=[Window.Status.CANCELLED, Window.Status.COMPLETED])
        .filter(Q(ends_at__gt=now) | Q(status=Window.Status.IN_PROGRESS))
        .select_related("region")
        .order_by("starts_at", "id")
        .first()
    )
    if window is not None:
        return local_date(window)
    return rule.last_saturday(rule.Month.of(now.date()))


# --- the 12-month report ---


@dataclass
class RegionReport:
    """One region's windows over the report's months. Durations are whole minutes of elapsed time."""

    region: Region
    windows: int = 0
    completed: int = 0
    cancelled: int = 0
    announced_minutes: int = 0  # promised duration of the completed windows
    actual_minutes: int = 0  # how long they really took
    overruns: int = 0  # completed windows that ended after the end promised to customers
    overrun_minutes: int = 0
    late_starts: int = 0  # started more than LATE_START_GRACE after the start
    late_minutes: int = 0
    months: list = field(default_factory=list)

    @property
    def average_announced(self):
        return round(self.announced_minutes / self.completed) if self.completed else None

    @property
    def average_actual(self):
        return round(self.actual_minutes / self.completed) if self.completed else None


def report_months(now, count=REPORT_MONTHS):
    """The last ``count`` months up to ``now``'s (UTC) month, oldest first."""
    last = rule.Month.of(now.date())
    return [last.plus(offset) for offset in range(1 - count, 1)]


def report(now, count=REPORT_MONTHS, regions=None):
    """Per region, over the last ``count`` local months: windows, completions, cancellations, announced vs actual
    minutes, overruns and their minutes, late starts. Two queries."""
    months = report_months(now, count)
    regions = list(regions if regions is not None else Region.objects.all())
    rows = {region.pk: RegionReport(region=region, months=months) for region in regions}
    windows = Window.objects.filter(
        region__in=regions, month__gte=months[0].first_day, month__lte=months[-1].first_day
    ).order_by("starts_at", "id")
    for window in windows:
        add(rows[window.region_id], window)
    return list(rows.values())


def add(row, window):
    """Count ``window`` into ``row``."""
    row.windows += 1
    if window.status == Window.Status.CANCELLED:
        row.cancelled += 1
        return
    if window.actual_start and window.actual_start - window.starts_at > LATE_START_GRACE:
        row.late_starts += 1
        row.late_minutes += _minutes(window.actual_start - window.starts_at)
    if window.status != Window.Status.COMPLETED or not (window.actual_start and window.actual_end):
        return
    row.completed += 1
    row.announced_minutes += _minutes(window.promised_end - window.starts_at)
    row.actual_minutes += _minutes(window.actual_end - window.actual_start)
    if window.actual_end > window.promised_end:
        row.overruns += 1
        row.overrun_minutes += _minutes(window.actual_end - window.promised_end)


def _minutes(delta):
    """Whole minutes, rounded up: a window 30 seconds over its end overran by a minute."""
    return -(-delta // MINUTE)


REPORT_HEADER = [
    "region",
    "region_name",
    "first_month",
    "last_month",
    "windows",
    "completed",
    "cancelled",
    "announced_minutes",
    "actual_minutes",
    "overruns",
    "overrun_minutes",
    "late_starts",
    "late_start_minutes",
]


def report_rows(rows):
    """The report as CSV rows under ``REPORT_HEADER``."""
    for row in rows:
        yield [
            row.region.slug,
            row.region.name,
            str(row.months[0]),
            str(row.months[-1]),
            row.windows,
            row.completed,
            row.cancelled,
            row.announced_minutes,
            row.actual_minutes,
            row.overruns,
            row.overrun_minutes,
            row.late_starts,
            row.late_minutes,
        ]
