"""What the public pages show, worked out in a fixed number of queries.

``board(now)`` reads every active region's state, its windows from 90 days ago
to a year ahead and the incidents of the last 90 days, then builds each
region's next window, the upcoming list and the 90 day bars in Python. The
number of queries does not depend on how many windows or incidents there are.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from maintenance.models import Incident, Region, Window
from maintenance.state import IMPACT_STATE, SEVERITY, RegionState, region_states, worst

BAR_DAYS = 90
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
    notes: list = field(default_factory=list)

    @property
    def label(self):
        return RegionState(self.state).label


@dataclass
class RegionBoard:
    region: Region
    state: RegionState
    next_window: Window | None = None
    days: list = field(default_factory=list)

    @property
    def state_label(self):
        return RegionState(self.state).label

    @property
    def in_window(self):
        """True while the region's shown window runs: it is the current window then, not the next one."""
        return self.next_window is not None and self.next_window.status == Window.Status.IN_PROGRESS

    @property
    def bad_days(self):
        return [day for day in self.days if day.state != RegionState.OPERATIONAL]


def board(now):
    """Everything the status page shows, in seven queries."""
    states = region_states(now)  # three queries: regions, running windows, open incidents
    regions = list(states)
    since = now - timedelta(days=BAR_DAYS + 1)
    windows = list(
        Window.objects.filter(region__in=regions, ends_at__gte=since, starts_at__lt=now + timedelta(days=HORIZON_DAYS))
        .select_related("region")
        .order_by("starts_at", "region__position")
    )
    incidents = list(
        Incident.objects.filter(started_at__lt=now)
        .exclude(resolved_at__lt=since)
        .prefetch_related(Prefetch("regions", queryset=Region.objects.only("id", "slug", "name", "position")))
        .order_by("-started_at")
    )
    boards = []
    for region in regions:
        own = [w for w in windows if w.region_id == region.pk]
        hits = [i for i in incidents if any(r.pk == region.pk for r in i.regions.all())]
        upcoming = [w for w in own if is_ahead_or_running(w, now) and w.status != Window.Status.CANCELLED]
        boards.append(
            RegionBoard(
                region=region,
                state=states[region],
                next_window=upcoming[0] if upcoming else None,
                days=region_days(region, own, hits, now),
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
            w for w in reversed(windows) if w.starts_at <= now and w.ends_at >= now - timedelta(days=BAR_DAYS)
        ],
        "recent_incidents": [i for i in incidents if (i.resolved_at or now) >= now - timedelta(days=BAR_DAYS)],
    }


def is_ahead_or_running(window, now):
    """Running (overrunning too), or not yet over and neither completed: a completed window is history at once."""
    if window.status == Window.Status.IN_PROGRESS:
        return True
    return window.ends_at > now and window.status != Window.Status.COMPLETED


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
    """``BAR_DAYS`` days in the region's own calendar, oldest first, each with the worst state of that day."""
    zone = region.zone
    today = now.astimezone(zone).date()
    first = today - timedelta(days=BAR_DAYS - 1)
    days = {first + timedelta(days=n): Day(first + timedelta(days=n), RegionState.OPERATIONAL) for n in range(BAR_DAYS)}
    spans = []
    for window in windows:
        if window.actual_start is None or window.status not in (Window.Status.IN_PROGRESS, Window.Status.COMPLETED):
            continue
        end, promised = window.actual_end or now, window.promised_end
        inside = min(end, promised)
        if inside > window.actual_start:
            spans.append((window.actual_start, inside, RegionState.UNDER_MAINTENANCE, window.display_title()))
        if end > promised:
            spans.append((max(promised, window.actual_start), end, RegionState.OVERRUNNING, window.display_title()))
    for incident in incidents:
        spans.append((incident.started_at, incident.resolved_at or now, IMPACT_STATE[incident.impact], incident.title))
    for start, end, state, note in spans:
        local_day = start.astimezone(zone).date()
        last_day = end.astimezone(zone).date()
        while local_day <= last_day:
            day = days.get(local_day)
            if day is not None:
                if SEVERITY[state] > SEVERITY[day.state]:
                    day.state = state
                if note not in day.notes:
                    day.notes.append(note)
            local_day += timedelta(days=1)
    return list(days.values())


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
