"""Each region's state now, worked out from what is open: windows in progress and unresolved incidents."""

from django.db import connection
from django.db.models import Prefetch, TextChoices
from django.utils.translation import gettext_lazy as _

from maintenance.models import AuditEvent, Incident, IncidentUpdate, Region, Window


class RegionState(TextChoices):
    # Declared from best to worst: the order is the severity.
    OPERATIONAL = "operational", _("Operational")
    UNDER_MAINTENANCE = "under_maintenance", _("Under maintenance")
    DEGRADED_PERFORMANCE = "degraded_performance", _("Degraded performance")
    OVERRUNNING = "overrunning", _("Maintenance overrunning")
    PARTIAL_OUTAGE = "partial_outage", _("Partial outage")
    MAJOR_OUTAGE = "major_outage", _("Major outage")


SEVERITY = {state: rank for rank, state in enumerate(RegionState)}

IMPACT_STATE = {
    Incident.Impact.MINOR: RegionState.DEGRADED_PERFORMANCE,
    Incident.Impact.MAJOR: RegionState.PARTIAL_OUTAGE,
    Incident.Impact.CRITICAL: RegionState.MAJOR_OUTAGE,
}


def worst(states):
    return max(states, key=SEVERITY.__getitem__, default=RegionState.OPERATIONAL)


def window_state(window, now):
    if window.status != Window.Status.IN_PROGRESS:
        return RegionState.OPERATIONAL
    return RegionState.OVERRUNNING if window.is_overrunning(now) else RegionState.UNDER_MAINTENANCE


def region_states(now, regions=None):
    """``{region: RegionState}`` for every active region (or the given queryset), in three queries."""
    regions = (regions if regions is not None else Region.objects.filter(active=True)).prefetch_related(
        Prefetch("windows", queryset=Window.objects.filter(status=Window.Status.IN_PROGRESS), to_attr="running"),
        Prefetch(
            "incidents", queryset=Incident.objects.exclude(status=Incident.Status.RESOLVED), to_attr="open_incidents"
        ),
    )
    return {
        region: worst(
            [window_state(w, now) for w in region.running] + [IMPACT_STATE[i.impact] for i in region.open_incidents]
        )
        for region in regions
    }


def overall(states):
    """The worst state over all regions."""
    return worst(states.values())


def fingerprint():
    """Latest change and row count of each table that regions, windows, incidents and their updates are read from,
    in one query: it changes whenever any of them does (updates and audit events are only ever added)."""
    parts = []
    for model in (Region, Window, Incident):
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT MAX(updated_at) FROM {table})")
        parts.append(f"(SELECT COUNT(*) FROM {table})")
    for model in (IncidentUpdate, AuditEvent, Incident.regions.through):
        table = connection.ops.quote_name(model._meta.db_table)
        parts.append(f"(SELECT MAX(id) FROM {table})")
        parts.append(f"(SELECT COUNT(*) FROM {table})")
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return tuple(cursor.fetchone())
