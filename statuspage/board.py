"""What the public pages show, worked out in a fixed number of queries.

``board(now)`` reads every active region's state, its windows from 90 days ago
to a year ahead and the incidents of the last 90 days, then builds each
region's next window, the upcoming list, the next release night and the 90 day
bars in Python. The number of queries does not depend on how many windows or
incidents there are.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import connection
from django.db.models import DateTimeField
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

from maintenance import plainsql
from maintenance.models import Incident, Region, Window
from maintenance.state import IMPACT_STATE, SEVERITY, RegionState, window_state, worst

BAR_DAYS = 90
RECENT_DAYS = 30  # the windows and incidents listed on the page; the bars and the history reach further back
UPCOMING_DAYS = 92  # three months
HORIZON_DAYS = 400  # how far ahead the next window is looked for

TENTATIVE = _("Tentative")
CONFIRMED = _("Confirmed")
STATUS_LABEL = {
    Window.Status.PLANNED: TENTATIVE,
    Window.Status.SCHEDULED: CONFIRMED,
    Window.Status.IN_PROGRESS: _("In progress"),
    Window.Status.COMPLETED: _("Completed"),
    Window.Status.CANCELLED: _("Cancelled"),
}


def status_label(window, now):
    if window.is_overrunning(now):
        return RegionState.OVERRUNNING.label
    return STATUS_LABEL[window.status]


@dataclass
class Day:
    date: date
    state: str

    @property
    def label(self):
        return RegionState(self.state).label


@dataclass
class RegionBoard:
    region: Region
    state: RegionState
    next_window: Window | None = None
    states: list = field(default_factory=list)  # the state of each of the last BAR_DAYS days, oldest first
    bad_days: list = field(default_factory=list)  # the Days among them that were not operational

    @property
    def state_label(self):
        return RegionState(self.state).label

    @property
    def in_window(self):
        """True while the region's shown window runs: it is the current window then, not the next one."""
        return self.next_window is not None and self.next_window.status == Window.Status.IN_PROGRESS


# The only columns the page reads: a long release summary and the bookkeeping need not cross from the database.
WINDOW_FIELDS = (
    "region_id",
    "month",
    "starts_at",
    "ends_at",
    "status",
    "title",
    "actual_start",
    "actual_end",
    "announced_ends_at",
)
WINDOW_TIMES = [i for i, name in enumerate(WINDOW_FIELDS) if isinstance(Window._meta.get_field(name), DateTimeField)]
INCIDENT_FIELDS = ("title", "impact", "status", "started_at", "resolved_at", "source")
INCIDENT_TIMES = [
    i for i, name in enumerate(INCIDENT_FIELDS) if isinstance(Incident._meta.get_field(name), DateTimeField)
]


def board(now):
    """Everything the status page shows, in four queries: regions, windows, incidents, and the incidents' regions."""
    regions = list(Region.objects.filter(active=True))
    by_id = {region.pk: region for region in regions}
    since = now - timedelta(days=BAR_DAYS + 1)
    horizon = now + timedelta(days=HORIZON_DAYS)
    # The last 90 days and the next three months, what runs now, and each region's next window however far ahead
    # (a change freeze can push it past the three months): not the whole year ahead.
    windows = shown_windows(by_id, since, now + timedelta(days=UPCOMING_DAYS), next_windows(regions, now, horizon))
    windows.sort(key=lambda w: (w.starts_at, w.region.position))
    running = [w for w in windows if w.status == Window.Status.IN_PROGRESS]  # for the states, however old
    windows = [w for w in windows if w.ends_at >= since and w.starts_at < horizon]
    incidents = shown_incidents(now, since)
    attach_regions(incidents)
    states = region_states(regions, running, incidents, now)
    incidents = [i for i in incidents if i.started_at < now and not (i.resolved_at and i.resolved_at < since)]
    own_windows = {region.pk: [] for region in regions}
    for window in windows:
        own_windows[window.region_id].append(window)
    own_incidents = {region.pk: [] for region in regions}
    for incident in incidents:
        for region_id in incident.region_ids:
            if region_id in own_incidents:
                own_incidents[region_id].append(incident)
    boards = []
    for region in regions:
        own = own_windows[region.pk]
        upcoming = (w for w in own if is_ahead_or_running(w, now) and w.status != Window.Status.CANCELLED)
        day_states, bad = region_days(region, own, own_incidents[region.pk], now)
        boards.append(
            RegionBoard(
                region=region, state=states[region], next_window=next(upcoming, None), states=day_states, bad_days=bad
            )
        )
    until = now + timedelta(days=UPCOMING_DAYS)
    return {
        "now": now,
        "overall": worst(states.values()),
        "regions": boards,
        "disruptions": disruptions(boards, now),
        "upcoming": [w for w in windows if is_ahead_or_running(w, now) and w.starts_at < until],
        "recent_windows": [
            w for w in reversed(windows) if w.starts_at <= now and w.ends_at >= now - timedelta(days=RECENT_DAYS)
        ],
        "recent_incidents": [i for i in incidents if (i.resolved_at or now) >= now - timedelta(days=RECENT_DAYS)],
        "release": release_night(windows, now),
    }


class ShownWindow:
    """A window as the status page reads it: the columns of ``WINDOW_FIELDS``, its region, and the model's own
    rules for its end and its title (a row, not a model instance: making a hundred instances cost more than the
    rest of reading them)."""

    Status = Window.Status
    promised_end = Window.promised_end
    is_overrunning = Window.is_overrunning
    display_title = Window.display_title

    def __init__(self, pk, region, values):
        self.pk = self.id = pk
        self.region = region
        for name, value in zip(WINDOW_FIELDS, values, strict=True):
            setattr(self, name, value)


def shown_windows(regions_by_id, since, until, next_ids):
    """The windows of the regions ``regions_by_id`` that end after ``since`` and start before ``until``, run now,
    or are among ``next_ids`` (a ``RawSQL`` subquery), as ``ShownWindow`` rows in the order they start."""
    region_ids = list(regions_by_id)
    sql = _shown_windows_sql().format(regions=plainsql.placeholders(region_ids), next=next_ids.sql)
    params = [
        *region_ids,
        plainsql.instant(since),
        plainsql.instant(until),
        Window.Status.IN_PROGRESS.value,
        *next_ids.params,
    ]
    return [
        ShownWindow(pk, regions_by_id[values[0]], values)
        for pk, values in plainsql.rows_read(sql, params, WINDOW_TIMES)
    ]


@plainsql.written_once
def _shown_windows_sql():
    column = {name: plainsql.column(Window, name) for name in ("id", *WINDOW_FIELDS)}
    return (
        f"SELECT {', '.join(column.values())} FROM {plainsql.table(Window)} "
        f"WHERE {column['region_id']} IN ({{regions}}) AND ("
        f"({column['ends_at']} >= %s AND {column['starts_at']} < %s) OR {column['status']} = %s "
        f"OR {column['id']} IN ({{next}})) ORDER BY {column['starts_at']}"
    )


def next_windows(regions, now, horizon):
    """A subquery: the id of each region's next window (running, or planned or announced and not yet over).

    Written as SQL rather than as a queryset filtered on a ``RowNumber`` annotation: Django compiles such a filter
    into a nested query of its own on every render, and that compiling cost more CPU than the rest of the windows
    query together. The SQL is plain enough for every supported database (window functions: PostgreSQL, SQLite).
    """
    ops = connection.ops
    table = ops.quote_name(Window._meta.db_table)
    column = {
        name: ops.quote_name(Window._meta.get_field(name).column)
        for name in ("id", "region", "starts_at", "ends_at", "status")
    }
    region_ids = [region.pk for region in regions] or [None]
    sql = (
        f"SELECT ranked.id FROM (SELECT {column['id']} AS id, ROW_NUMBER() OVER (PARTITION BY {column['region']} "
        f"ORDER BY {column['starts_at']} ASC, {column['id']} ASC) AS position FROM {table} "
        f"WHERE {column['region']} IN ({', '.join(['%s'] * len(region_ids))}) AND {column['starts_at']} < %s "
        f"AND ({column['status']} = %s OR ({column['ends_at']} > %s AND {column['status']} IN (%s, %s)))"
        ") ranked WHERE ranked.position = 1"
    )
    params = (
        *region_ids,
        ops.adapt_datetimefield_value(horizon),
        Window.Status.IN_PROGRESS.value,
        ops.adapt_datetimefield_value(now),
        Window.Status.PLANNED.value,
        Window.Status.SCHEDULED.value,
    )
    return RawSQL(sql, params)


def region_states(regions, running, incidents, now):
    """``{region: RegionState}``, as ``maintenance.state.region_states`` works it out, from rows already read."""
    found = {region.pk: [] for region in regions}
    for window in running:
        found[window.region_id].append(window_state(window, now))
    for incident in incidents:
        if incident.status != Incident.Status.RESOLVED:
            for region_id in incident.region_ids:
                if region_id in found:
                    found[region_id].append(IMPACT_STATE[incident.impact])
    return {region: worst(found[region.pk]) for region in regions}


class ShownIncident:
    """An incident as the status page reads it: the columns of ``INCIDENT_FIELDS`` and the labels of its impact and
    status (a row, not a model instance, as ``ShownWindow``)."""

    Status = Incident.Status
    IMPACT_LABEL = dict(Incident.Impact.choices)
    STATUS_LABEL = dict(Incident.Status.choices)

    def __init__(self, pk, values):
        self.pk = self.id = pk
        for name, value in zip(INCIDENT_FIELDS, values, strict=True):
            setattr(self, name, value)

    def get_impact_display(self):
        return self.IMPACT_LABEL.get(self.impact, self.impact)

    def get_status_display(self):
        return self.STATUS_LABEL.get(self.status, self.status)


def shown_incidents(now, since):
    """The incidents that started before ``now`` and were not resolved before ``since``, and every unresolved one,
    newest first, as ``ShownIncident`` rows."""
    params = [plainsql.instant(now), plainsql.instant(since), Incident.Status.RESOLVED.value]
    found = plainsql.rows_read(_shown_incidents_sql(), params, INCIDENT_TIMES)
    return [ShownIncident(pk, values) for pk, values in found]


@plainsql.written_once
def _shown_incidents_sql():
    column = {name: plainsql.column(Incident, name) for name in ("id", *INCIDENT_FIELDS)}
    return (
        f"SELECT {', '.join(column.values())} FROM {plainsql.table(Incident)} "
        f"WHERE ({column['started_at']} < %s AND ({column['resolved_at']} IS NULL OR {column['resolved_at']} >= %s)) "
        f"OR {column['status']} <> %s ORDER BY {column['started_at']} DESC"
    )


def attach_regions(incidents):
    """Give each incident ``region_ids`` and ``region_names`` (in display order), in one query for all of them."""
    links = {incident.pk: [] for incident in incidents}
    if links:
        sql = _incident_regions_sql().format(incidents=plainsql.placeholders(list(links)))
        for incident_id, region_id, name in plainsql.rows(sql, list(links)):
            links[incident_id].append((region_id, name))
    for incident in incidents:
        incident.region_ids = [region_id for region_id, _name in links[incident.pk]]
        incident.region_names = [name for _region_id, name in links[incident.pk]]


@plainsql.written_once
def _incident_regions_sql():
    through = Incident.regions.through
    incident, region = plainsql.column(through, "incident"), plainsql.column(through, "region")
    return (
        f"SELECT {incident}, {region}, {plainsql.column(Region, 'name')} FROM {plainsql.table(through)} "
        f"INNER JOIN {plainsql.table(Region)} ON {region} = {plainsql.column(Region, 'id')} "
        f"WHERE {incident} IN ({{incidents}}) "
        f"ORDER BY {plainsql.column(Region, 'position')}, {plainsql.column(Region, 'name')}"
    )


def is_ahead_or_running(window, now):
    """Running (overrunning too), or not yet over and neither completed: a completed window is history at once."""
    if window.status == Window.Status.IN_PROGRESS:
        return True
    return window.ends_at > now and window.status != Window.Status.COMPLETED


def release_night(windows, now):
    """The next release: the windows of the month of the first window not yet over, cancelled ones left out.

    During a release night the regions already done stay in it, so the night is shown whole until its last window
    ends. Returns ``None`` when nothing lies ahead.
    """
    ahead = [w for w in windows if is_ahead_or_running(w, now) and w.status != Window.Status.CANCELLED]
    if not ahead:
        return None
    first = ahead[0]
    night = [w for w in windows if w.month == first.month and w.status != Window.Status.CANCELLED]
    night.sort(key=lambda w: (w.region.position, w.starts_at))
    return {"day": first.starts_at.astimezone(first.region.zone).date(), "windows": night}


def disruptions(boards, now):
    """The regions that are not operational, worst first, each with its running window (for the banner)."""
    rows = []
    for entry in boards:
        if entry.state == RegionState.OPERATIONAL:
            continue
        window = entry.next_window if entry.in_window else None
        rows.append({"region": entry.region, "state": entry.state, "label": entry.state_label, "window": window})
    rows.sort(key=lambda row: -SEVERITY[row["state"]])
    return rows


def region_days(region, windows, incidents, now):
    """``BAR_DAYS`` days in the region's own calendar, oldest first: each day's worst state, and the bad ``Day``s."""
    zone = region.zone
    today = now.astimezone(zone).date()
    first = today - timedelta(days=BAR_DAYS - 1)
    spans = []
    for window in windows:
        if window.actual_start is None or window.status not in (Window.Status.IN_PROGRESS, Window.Status.COMPLETED):
            continue
        end, promised = window.actual_end or now, window.promised_end
        inside = min(end, promised)
        if inside > window.actual_start:
            spans.append((window.actual_start, inside, RegionState.UNDER_MAINTENANCE))
        if end > promised:
            spans.append((max(promised, window.actual_start), end, RegionState.OVERRUNNING))
    for incident in incidents:
        spans.append((incident.started_at, incident.resolved_at or now, IMPACT_STATE[incident.impact]))
    states = [RegionState.OPERATIONAL] * BAR_DAYS
    for start, end, state in spans:
        low = max((start.astimezone(zone).date() - first).days, 0)
        high = min((end.astimezone(zone).date() - first).days, BAR_DAYS - 1)
        for index in range(low, high + 1):
            if SEVERITY[state] > SEVERITY[states[index]]:
                states[index] = state
    bad = [
        Day(first + timedelta(days=index), states[index])
        for index in range(BAR_DAYS)
        if states[index] != RegionState.OPERATIONAL
    ]
    return states, bad


# Words from the maintenance models that the public pages show (incident impact and status, the default window
# title). Listed here so that the site's catalogue carries their translations too.
MODEL_WORDS = (
    _("Monthly release"),
    _("Minor"),
    _("Major"),
    _("Critical"),
    _("Investigating"),
    _("Identified"),
    _("Monitoring"),
    _("Resolved"),
)
