"""What "a month" means on the history page: a calendar month in a region's own calendar.

That is how the window rule and the SLA ledger count months, so the three agree:

- a window is listed in the month it serves (``Window.month``, its region's local month);
- an incident is listed in the month in which it started on the wall clock of each region it affected, so one
  that started as the month turned over is listed in both months when its regions' calendars disagree. An
  incident with no region has no local calendar and is placed by UTC.

The newest month is the newest one that has begun in any region's calendar.
"""

from datetime import UTC, timedelta

from django.db.models import Min, Prefetch

from maintenance.models import Incident, Region, Window
from maintenance.rule import Month, local_month
from maintenance.sla import month_bounds

# No region's clock is more than 14 hours from UTC, so a local month lies inside the UTC month widened by a day.
MARGIN = timedelta(days=1)


def incident_months(incident):
    """The months whose history page lists ``incident`` (its regions must be loaded with their time zones)."""
    zones = [region.zone for region in incident.regions.all()] or [UTC]
    return {local_month(incident.started_at, zone) for zone in zones}


def incident_month(incident):
    """The month a link to ``incident`` points to: the first of its months."""
    return min(incident_months(incident))


def with_regions(incidents):
    return incidents.prefetch_related(Prefetch("regions", queryset=Region.objects.only("id", "timezone")))


def utc_span(month):
    """UTC instants that hold every instant of ``month`` in every region's calendar."""
    start, end = month_bounds(month, UTC)
    return start - MARGIN, end + MARGIN


def incidents_in(month):
    """The incidents the history page lists for ``month``, newest first."""
    start, end = utc_span(month)
    nearby = with_regions(Incident.objects.filter(started_at__gte=start, started_at__lt=end))
    return [incident for incident in nearby.order_by("-started_at", "-id") if month in incident_months(incident)]


def windows_in(month, now):
    """The windows of ``month`` that have started by ``now``, in the order they started."""
    return list(
        Window.objects.filter(month=month.first_day, starts_at__lte=now)
        .select_related("region")
        .order_by("starts_at", "id")
    )


def newest_month(now):
    """The newest month that has begun on some region's wall clock (or in UTC)."""
    zones = [region.zone for region in Region.objects.only("timezone")] + [UTC]
    return max(local_month(now, zone) for zone in zones)


def earliest_month(now, newest):
    """The first month with a started window or an incident in it; ``newest`` when there is none."""
    candidates = [newest]
    first_window = Window.objects.filter(starts_at__lte=now).aggregate(first=Min("month"))["first"]
    if first_window:
        candidates.append(Month.of(first_window))
    first_incident = Incident.objects.aggregate(first=Min("started_at"))["first"]
    if first_incident:
        # An incident that started a little later may still fall in an earlier month of a region far to the west.
        early = with_regions(Incident.objects.filter(started_at__lt=first_incident + 2 * MARGIN))
        candidates += [min(incident_months(incident)) for incident in early]
    return min(candidates)
