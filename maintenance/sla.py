"""The SLA ledger: availability of each region in each of its local calendar months.

Rules (docs/release-managers.md, "SLA rules"):

- The month is the region's local calendar month; its minutes are real elapsed
  minutes, so a month with a DST change has 60 minutes more or less.
- Incident time in the region counts, as a union: overlapping incidents count once.
  An open incident runs until now.
- Announced maintenance is excluded only where it was *scheduled at the weekend*, as
  the SLA words it: the part of an announced window (announced and not cancelled,
  between its announced start and end) that falls on a Saturday or Sunday in the
  region's local time. A window crossing local midnight into Monday is excluded up
  to midnight; a window moved to a weekday counts. ``SLA_EXCLUDED_MAINTENANCE=any``
  excludes every announced window instead.
- A window that ran (in progress or completed) counts by itself: all of its
  actual time when it was never announced, and otherwise all of its actual time
  outside the excluded maintenance (an overrun past the end, an early start, a
  weekday window).
- Incident time that an authorised person excluded (``SlaExclusion``, one of the
  SLA's categories) does not count either.
- Downtime is the union of all of that, clipped to the month.

The ledger shows where the other minutes went, each minute once: excluded
maintenance first, then downtime, then the exclusion categories in the SLA's
order, each only for minutes not already accounted for.

Figures: ``minutes_in_month`` is an integer. ``downtime_minutes`` is exact: an
integer when the downtime is a whole number of minutes (it always is when every
input time is on a whole minute), otherwise the minutes rounded to 2 decimals.
``availability_percent`` is ``100 × (1 − downtime ÷ minutes)`` rounded to 4
decimals; ``met`` compares the unrounded value with ``SLA_TARGET``. A month's error budget (``budget``) is the
downtime the target allows in all of its minutes; what is left is that minus the downtime so far.

The interval arithmetic is pure (no database, no clock); ``ledger`` is the thin
part that reads the database.
"""

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import cached_property, lru_cache, partial

from dateutil.rrule import DAILY, SA, SU, rrule

from maintenance import plainsql
from maintenance.intervals import clip, subtract, total, union, within
from maintenance.rule import Month

MINUTE = timedelta(minutes=1)
WEEKEND = "weekend"
ANY = "any"
EXCLUDED_MAINTENANCE = (WEEKEND, ANY)


# --- the month's arithmetic (pure) ----------------------------------------------


def month_bounds(month, tz):
    """The UTC instants where ``month`` starts and ends on the wall clock of ``tz``."""
    start = datetime(month.year, month.month, 1, tzinfo=tz).astimezone(UTC)
    following = month.next()
    end = datetime(following.year, following.month, 1, tzinfo=tz).astimezone(UTC)
    return start, end


def minutes_in_month(month, tz):
    start, end = month_bounds(month, tz)
    return (end - start) // MINUTE


def weekend_parts(interval, tz):
    """The parts of ``interval`` that fall on a Saturday or Sunday on the wall clock of ``tz``."""
    start, end = interval
    if start >= end:
        return []
    first = start.astimezone(tz).date()
    local_end = end.astimezone(tz)
    last = local_end.date()
    if last > first and local_end.time() == time():  # ends at a local midnight: nothing of the last day
        last -= timedelta(days=1)
    if first == last:  # inside one local day (most windows): all of it or nothing
        return [(start, end)] if first.weekday() >= SA.weekday else []
    parts = []
    for day in rrule(DAILY, byweekday=(SA, SU), dtstart=first, until=last):
        day_start = datetime.combine(day.date(), time(), tzinfo=tz).astimezone(UTC)
        day_end = datetime.combine(day.date() + timedelta(days=1), time(), tzinfo=tz).astimezone(UTC)
        parts.append((max(start, day_start), min(end, day_end)))
    return union(parts)


def excluded_maintenance(announced, tz, mode=WEEKEND):
    """The announced intervals the SLA sets aside: their weekend parts, or all of them when ``mode`` is ``any``."""
    if mode == ANY:
        return union(announced)
    return union(part for interval in announced for part in weekend_parts(interval, tz))


@dataclass(frozen=True)
class RanWindow:
    """A window that ran: its actual interval, and its announced one when it was announced."""

    actual: tuple
    announced: tuple | None


def downtime(incidents, ran_windows, excused, lo, hi):
    """The downtime intervals inside [lo, hi).

    ``incidents``: the region's counted incident intervals (open ones already end at
    now, excluded spans already cut out); ``ran_windows``: RanWindow items;
    ``excused``: the maintenance the SLA sets aside (``excluded_maintenance``).
    """
    incident_time = subtract(incidents, excused)
    window_time = []
    for window in ran_windows:
        if window.announced is None:
            window_time.append(window.actual)
        else:
            window_time.extend(subtract([window.actual], excused))
    return clip(incident_time + window_time, lo, hi)


@dataclass(frozen=True)
class Account:
    """Where a month's affected minutes went, each minute in one place only."""

    downtime: list
    maintenance: list
    excluded: dict = field(default_factory=dict)  # category: intervals, in the SLA's order


def account(incidents, excluded_spans, ran_windows, excused, lo, hi, categories=()):
    """Downtime, excluded maintenance and excluded incident time inside [lo, hi).

    ``excluded_spans`` is {category: intervals}, the incident time a person excluded,
    already clipped to each incident; ``categories`` gives their order. A minute that
    is down for a counted reason stays downtime, so an excluded incident overlapping a
    counted one adds only the minutes the counted one did not cover.
    """
    down = downtime(incidents, ran_windows, excused, lo, hi)
    maintenance = clip(excused, lo, hi)
    taken = down + maintenance
    excluded = {}
    for category in [*categories, *(c for c in excluded_spans if c not in categories)]:
        if not excluded_spans.get(category):
            continue
        spans = clip(subtract(excluded_spans[category], taken), lo, hi)
        if spans:
            excluded[category] = spans
            taken = taken + spans
    return Account(down, maintenance, excluded)


def incident_parts(interval, spans):
    """An incident's ``interval`` split into (counted, excluded) by its exclusion ``spans``."""
    excluded = clip(spans, *interval)
    return subtract([interval], excluded), excluded


def minutes(duration):
    """A duration as minutes: an int when whole, else a Decimal with 2 places."""
    if not duration % MINUTE:
        return duration // MINUTE
    return exact_minutes(Fraction(duration // timedelta(microseconds=1), 60_000_000))


def exact_minutes(value):
    """A Fraction of minutes as ``minutes`` gives them: an int when whole, else a Decimal with 2 places."""
    if value.denominator == 1:
        return int(value)
    return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Budget:
    """A month's error budget, in minutes as ``minutes`` gives them: the downtime the target allows in the whole
    month, the downtime so far, and what is left (negative once the month is over budget)."""

    allowed: object
    used: object
    left: object

    @property
    def over(self):
        return self.left < 0

    @property
    def used_percent(self):
        """How much of the budget is used, in whole percent (0 when nothing is allowed and nothing used)."""
        if not self.allowed:
            return 100 if self.used else 0
        return round(Decimal(self.used) * 100 / Decimal(self.allowed))


def budget(row, target):
    """The error budget of a ledger ``row`` against ``target`` percent (pure)."""
    allowed = row.minutes_in_month * (100 - _fraction(target)) / 100
    used = Fraction(row.downtime // timedelta(microseconds=1), 60_000_000)
    return Budget(exact_minutes(allowed), exact_minutes(used), exact_minutes(allowed - used))


@dataclass(frozen=True)
class Note:
    """One excluded span as the public may see it: ``reason`` is empty unless it was chosen to be published."""

    category: str
    incident_title: str
    reason: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class Row:
    region: object
    month: Month
    minutes_in_month: int
    downtime: timedelta
    availability: Fraction
    met: bool
    maintenance: timedelta = timedelta()
    excluded: tuple = ()  # (category, duration) for every category, in the SLA's order
    notes: tuple = ()  # Note items: the exclusions that touch the month

    @cached_property
    def downtime_minutes(self):
        """An int when whole, else a Decimal with 2 places."""
        return minutes(self.downtime)

    @property
    def maintenance_minutes(self):
        return minutes(self.maintenance)

    @cached_property
    def excluded_minutes(self):
        """{category: minutes}, every category, in the SLA's order."""
        return {category: minutes(duration) for category, duration in self.excluded}

    @cached_property
    def availability_percent(self):
        if self.availability == HUNDRED:  # most months
            return FULL
        value = Decimal(self.availability.numerator) / Decimal(self.availability.denominator)
        return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)

    def as_dict(self):
        return {
            "region": self.region.slug,
            "month": str(self.month),
            "minutes_in_month": self.minutes_in_month,
            "downtime_minutes": self.downtime_minutes,
            "maintenance_minutes": self.maintenance_minutes,
            "excluded_minutes": self.excluded_minutes,
            "availability_percent": self.availability_percent,
            "met": self.met,
        }


def row(region, month, tz, intervals, target, maintenance=(), excluded=()):
    """One ledger row from the month's downtime intervals (pure).

    ``maintenance``: the excluded maintenance intervals; ``excluded``: (category, intervals) pairs.
    """
    in_month = minutes_in_month(month, tz)
    lost = total(intervals)
    availability = availability_of(lost, in_month)
    return Row(
        region,
        month,
        in_month,
        lost,
        availability,
        availability >= _fraction(target),
        total(maintenance),
        tuple((category, total(spans)) for category, spans in excluded),
    )


HUNDRED = Fraction(100)
FULL = Decimal("100.0000")
ZERO = timedelta()


def availability_of(lost, in_month):
    """``100 × (1 − lost ÷ the month's minutes)``, exact."""
    if not lost:
        return HUNDRED
    return 100 * (1 - Fraction(lost // timedelta(microseconds=1), in_month * 60_000_000))


def _merged_total(merged):
    """``total`` of a list that is merged already (as ``Account``'s are)."""
    if not merged:
        return ZERO
    return sum((end - start for start, end in merged), timedelta())


@lru_cache(maxsize=8)
def _fraction(target):
    """The target as an exact fraction (``99.9`` is 999/10, not the float's binary value)."""
    return Fraction(str(target))


def in_month(whole, start, end):
    """The part of a whole-range ``Account`` inside one month [start, end).

    Every step of ``account`` is a set operation, and set operations commute with cutting out a range, so working
    out a region's account once over all the months and cutting each month out of it gives exactly what
    ``account`` gives for that month alone, with bisection instead of a pass over every interval per month.
    """
    return Account(
        within(whole.downtime, start, end),
        within(whole.maintenance, start, end),
        {category: within(spans, start, end) for category, spans in whole.excluded.items()},
    )


# --- the database part ---------------------------------------------------------


def ledger(months, now, regions=None, target=None, mode=None):
    """Rows for each region (active ones by default) and each of ``months``, region-major.

    At most four queries whatever the number of months, regions, incidents, exclusions and windows (three when
    ``regions`` are given): the regions, the incidents with their exclusions, the incidents' regions, the windows.
    """
    from django.conf import settings

    from maintenance.models import Region, SlaExclusion

    target = settings.SLA_TARGET if target is None else target
    mode = settings.SLA_EXCLUDED_MAINTENANCE if mode is None else mode
    months = sorted(set(months), key=lambda m: (m.year, m.month))
    regions = list(regions if regions is not None else Region.objects.filter(active=True))
    if not months or not regions:
        return []
    following = [m.next() for m in months]
    edges = sorted(set(months) | set(following), key=lambda m: (m.year, m.month))  # a month ends where the next starts
    edge = {m: index for index, m in enumerate(edges)}
    pairs = [(edge[m], edge[n]) for m, n in zip(months, following, strict=True)]
    bounds = {}  # region id: [(start, end) of each of months], as month_bounds gives them
    for r in regions:
        zone = r.zone
        starts = [datetime(m.year, m.month, 1, tzinfo=zone).astimezone(UTC) for m in edges]
        bounds[r.pk] = [(starts[start], starts[end]) for start, end in pairs]
    lo = min(start for spans in bounds.values() for start, _ in spans)
    hi = max(end for spans in bounds.values() for _, end in spans)
    region_ids = [r.pk for r in regions]
    categories = list(SlaExclusion.Category.values)

    found = incidents_touching(lo, hi, now)
    spans = {
        (region_id, incident_id): found[incident_id]
        for region_id, incident_id in (incident_regions(list(found), region_ids) if found else ())
    }

    incidents = {r.pk: [] for r in regions}
    excluded = {r.pk: {} for r in regions}
    notes = {r.pk: [] for r in regions}
    for (region_id, _incident_id), entry in spans.items():
        if not entry["excluded"]:  # most incidents: all of it counts
            incidents[region_id].append(entry["interval"])
            continue
        counted, _ = incident_parts(entry["interval"], [span for _, span, _, _ in entry["excluded"]])
        incidents[region_id].extend(counted)
        for category, span, title, reason in entry["excluded"]:
            part = clip([span], *entry["interval"])
            excluded[region_id].setdefault(category, []).extend(part)
            notes[region_id].extend(Note(category, title, reason, start, end) for start, end in part)

    ran = {r.pk: [] for r in regions}
    announced = {r.pk: [] for r in regions}
    for (
        region_id,
        status,
        starts_at,
        ends_at,
        announced_ends_at,
        actual_start,
        actual_end,
        announced_at,
    ) in windows_touching(region_ids, lo, hi):
        # (starts_at, Window.promised_end) once announced
        scheduled = (starts_at, announced_ends_at or ends_at) if announced_at is not None else None
        if scheduled and status != CANCELLED:
            announced[region_id].append(scheduled)
        if status in RAN and actual_start:
            ran[region_id].append(RanWindow((actual_start, min(actual_end or now, now)), scheduled))

    target_fraction = _fraction(target)
    untouched_met = HUNDRED >= target_fraction
    nothing_excluded = tuple((category, ZERO) for category in categories)
    rows = []
    for region in regions:
        excused = excluded_maintenance(announced[region.pk], region.zone, mode)
        whole = account(
            incidents[region.pk], excluded[region.pk], ran[region.pk], excused, lo, min(hi, now), categories
        )
        for month, (start, end) in zip(months, bounds[region.pk], strict=True):
            hi_now = min(end, now)
            parts = in_month(whole, start, hi_now)
            in_month_minutes = (end - start) // MINUTE
            lost = _merged_total(parts.downtime)
            if lost:
                availability = availability_of(lost, in_month_minutes)
                met = availability >= target_fraction
            else:  # most months: compared once, not once per month
                availability, met = HUNDRED, untouched_met
            month_row = Row(
                region,
                month,
                in_month_minutes,
                lost,
                availability,
                met,
                _merged_total(parts.maintenance),
                tuple((category, _merged_total(parts.excluded.get(category, ()))) for category in categories)
                if any(parts.excluded.values())
                else nothing_excluded,
            )
            if notes[region.pk]:
                month_notes = tuple(
                    sorted(
                        (n for n in notes[region.pk] if n.starts_at < hi_now and n.ends_at > start),
                        key=lambda n: (n.starts_at, n.category),
                    )
                )
                month_row = replace(month_row, notes=month_notes)
            rows.append(month_row)
    return rows


# The reads of ``ledger``, in SQL (``maintenance.plainsql`` says why): the same rows as these querysets give.
CANCELLED, RAN = "cancelled", ("in_progress", "completed")


def incidents_touching(lo, hi, now):
    """{incident id: {"interval": (start, end), "excluded": [(category, span, title, published reason)]}} of the
    incidents touching [lo, hi), an open one (and anything past ``now``) ending at ``now``; as
    ``Incident.objects.filter(started_at__lt=hi).exclude(resolved_at__lte=lo).values_list(..., "exclusions__...")``.
    """
    sql = _incidents_sql()
    found = {}
    read = plainsql.aware()
    for incident_id, title, started_at, resolved_at, category, ex_start, ex_end, reason, public in plainsql.rows(
        sql, [plainsql.instant(hi), plainsql.instant(lo)]
    ):
        started_at, resolved_at = read(started_at), read(resolved_at)
        end = min(resolved_at or now, now)
        entry = found.setdefault(incident_id, {"interval": (started_at, end), "excluded": []})
        if category is not None:
            span = (read(ex_start), min(read(ex_end) or end, end))
            entry["excluded"].append((category, span, title, reason if public else ""))
    return found


@plainsql.written_once
def _incidents_sql():
    from maintenance.models import Incident, SlaExclusion

    i = partial(plainsql.column, Incident)
    e = partial(plainsql.column, SlaExclusion)
    return (
        f"SELECT {i('id')}, {i('title')}, {i('started_at')}, {i('resolved_at')}, {e('category')}, {e('starts_at')}, "
        f"{e('ends_at')}, {e('reason')}, {e('publish_reason')} FROM {plainsql.table(Incident)} "
        f"LEFT OUTER JOIN {plainsql.table(SlaExclusion)} ON {i('id')} = {e('incident')} "
        f"WHERE {i('started_at')} < %s AND ({i('resolved_at')} IS NULL OR {i('resolved_at')} > %s) "
        f"ORDER BY {i('started_at')} DESC, {i('id')}, {e('starts_at')}, {e('id')}"
    )


def incident_regions(incident_ids, region_ids):
    """``[(region id, incident id)]`` for the incidents among ``incident_ids`` in the regions ``region_ids``."""
    sql = _links_sql().format(incidents=plainsql.placeholders(incident_ids), regions=plainsql.placeholders(region_ids))
    return plainsql.rows(sql, [*incident_ids, *region_ids])


@plainsql.written_once
def _links_sql():
    from maintenance.models import Incident

    through = Incident.regions.through
    link = partial(plainsql.column, through)
    return (
        f"SELECT {link('region')}, {link('incident')} FROM {plainsql.table(through)} "
        f"WHERE {link('incident')} IN ({{incidents}}) AND {link('region')} IN ({{regions}})"
    )


def windows_touching(region_ids, lo, hi):
    """``[(region id, status, starts_at, ends_at, announced_ends_at, actual_start, actual_end, announced_at)]`` of
    the windows of ``region_ids`` that ran in [lo, hi) or were announced for it and not cancelled."""
    sql = _windows_sql().format(regions=plainsql.placeholders(region_ids))
    hi_value, lo_value = plainsql.instant(hi), plainsql.instant(lo)
    params = [*region_ids, hi_value, *RAN, lo_value, lo_value, hi_value, CANCELLED]
    read = plainsql.aware()
    return [
        (region_id, status, *(read(value) for value in times))
        for region_id, status, *times in plainsql.rows(sql, params)
    ]


@plainsql.written_once
def _windows_sql():
    from maintenance.models import Region, Window

    w = partial(plainsql.column, Window)
    return (
        f"SELECT {w('region')}, {w('status')}, {w('starts_at')}, {w('ends_at')}, {w('announced_ends_at')}, "
        f"{w('actual_start')}, {w('actual_end')}, {w('announced_at')} FROM {plainsql.table(Window)} "
        f"INNER JOIN {plainsql.table(Region)} ON {w('region')} = {plainsql.column(Region, 'id')} "
        f"WHERE {w('region')} IN ({{regions}}) AND ("
        f"({w('actual_start')} < %s AND {w('status')} IN (%s, %s) "
        f"AND ({w('actual_end')} IS NULL OR {w('actual_end')} > %s)) "
        f"OR ({w('announced_at')} IS NOT NULL AND {w('ends_at')} > %s AND {w('starts_at')} < %s "
        f"AND {w('status')} <> %s)) "
        f"ORDER BY {w('starts_at')}, {plainsql.column(Region, 'position')}"
    )


def current_month(now):
    """The month of ``now`` in UTC, the default the reports use."""
    return Month(now.year, now.month)


def last_months(now, count):
    """``count`` months ending with the current one, oldest first."""
    current = current_month(now)
    return [current.plus(-i) for i in range(count - 1, -1, -1)]
