"""A region's status through an event, in Statuspage's component words: what ``affected_components`` and the
``component_update`` payloads say. Pure functions over loaded rows."""

from maintenance.models import Incident
from maintenance.state import IMPACT_STATE, RegionState

# Statuspage's words for a component's status; clients match on them, so they stay English.
COMPONENT_STATUS = {
    RegionState.OPERATIONAL: "operational",
    RegionState.UNDER_MAINTENANCE: "under_maintenance",
    RegionState.DEGRADED_PERFORMANCE: "degraded_performance",
    RegionState.OVERRUNNING: "partial_outage",
    RegionState.PARTIAL_OUTAGE: "partial_outage",
    RegionState.MAJOR_OUTAGE: "major_outage",
}
OPERATIONAL = "operational"
MAINTENANCE = "under_maintenance"
# The window events that change its region's status: (before, after).
WINDOW_CHANGES = {"start": (OPERATIONAL, MAINTENANCE), "complete": (MAINTENANCE, OPERATIONAL)}


def incident_statuses(incident, updates):
    """``{update pk: (before, after)}``: the status of the incident's regions before and after each update, the
    incident's impact while it is open and operational once it is resolved."""
    open_status = COMPONENT_STATUS[IMPACT_STATE[incident.impact]]
    before, statuses = OPERATIONAL, {}
    for update in sorted(updates, key=lambda u: (u.created_at, u.pk)):
        after = OPERATIONAL if update.status == Incident.Status.RESOLVED else open_status
        statuses[update.pk] = (before, after)
        before = after
    return statuses
