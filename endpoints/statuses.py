"""Statuspage's words for Offpeak's states, shared by the v2 API and the webhooks: a region's (component's) status,
the page's indicator and id, and a region's status through an event (what ``affected_components`` and the
``component_update`` payloads say). Pure functions over loaded rows."""

import hashlib

from django.conf import settings

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
# Statuspage's indicator words; clients match on them, so they stay in English.
INDICATOR = {
    RegionState.OPERATIONAL: ("none", "All Systems Operational"),
    RegionState.UNDER_MAINTENANCE: ("maintenance", "Service Under Maintenance"),
    RegionState.DEGRADED_PERFORMANCE: ("minor", "Minor Service Outage"),
    RegionState.OVERRUNNING: ("major", "Partial System Outage"),
    RegionState.PARTIAL_OUTAGE: ("major", "Partial System Outage"),
    RegionState.MAJOR_OUTAGE: ("critical", "Major Service Outage"),
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


def page_id():
    """A stable 12-character id derived from the site's URL, like Statuspage's page ids."""
    digest = int(hashlib.sha256(settings.SITE_URL.encode()).hexdigest(), 16)
    chars = []
    for _position in range(12):
        digest, index = divmod(digest, 36)
        chars.append("0123456789abcdefghijklmnopqrstuvwxyz"[index])
    return "".join(chars)


def component(region, state, position, page):
    """Statuspage's component for a region in ``state`` (a RegionState), its running windows and open incidents
    loaded as ``region.running`` and ``region.open_incidents`` (``maintenance.state.region_states`` does); times
    are datetimes, for a serializer or ``payloads.timestamp`` to write."""
    touched = [region.updated_at, *(w.updated_at for w in region.running)]
    touched += [incident.updated_at for incident in region.open_incidents]
    return {
        "id": f"region-{region.pk}",
        "name": region.name,
        "status": COMPONENT_STATUS[state],
        "created_at": region.created_at,
        "updated_at": max(touched),
        "position": position,
        "description": f"{region.name} ({region.timezone})",
        "showcase": True,
        "start_date": region.created_at.date(),
        "group_id": None,
        "page_id": page,
        "group": False,
        "only_show_if_degraded": False,
    }
