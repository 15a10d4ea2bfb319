"""Which events are news for endpoints: the window's lifecycle changes and the incidents' updates.

Both are read from the database (the audit trail and the incident updates), so the scheduler finds them whether or
not a signal told it. ``notifiable_updates`` is the one place that says which incident updates are told.
"""

from django.db.models import Prefetch

from endpoints.statuses import WINDOW_CHANGES, incident_statuses
from maintenance.models import AuditEvent, IncidentUpdate, Region

# Always news: announcing, starting and completing a window. News once the window is announced: moving,
# extending and cancelling it (before that it is only planned, and planned windows are not news).
ALWAYS = ("announce", "start", "complete")
ONCE_ANNOUNCED = ("reschedule", "extend", "cancel")
WINDOW_ACTIONS = ALWAYS + ONCE_ANNOUNCED


def window_news(since, until):
    """The window audit events between ``since`` and ``until`` that are news, oldest first."""
    events = (
        AuditEvent.objects.filter(
            window__isnull=False, action__in=WINDOW_ACTIONS, created_at__gte=since, created_at__lte=until
        )
        .select_related("window")
        .order_by("created_at", "id")
    )
    return [
        event
        for event in events
        if event.action in ALWAYS
        or (event.window.announced_at is not None and event.window.announced_at <= event.created_at)
    ]


def notifiable_updates(since, until):
    """The incident updates between ``since`` and ``until`` that subscribers are told of, oldest first, with the
    ids of their incident's regions."""
    return (
        IncidentUpdate.objects.filter(created_at__gte=since, created_at__lte=until, deliver_notifications=True)
        .select_related("incident")
        .prefetch_related(Prefetch("incident__regions", queryset=Region.objects.only("id")), "incident__updates")
        .order_by("created_at", "id")
    )


def event_key(event):
    """The outbox's name for an event, which is the v2 API's id of the update that tells it."""
    if isinstance(event, IncidentUpdate):
        return f"incident-update-{event.pk}"
    return f"window-event-{event.pk}"


def component_changes(event):
    """``[(region id, old status, new status)]``: the regions whose status the event changed (Statuspage's component
    updates). An incident update changes them when it opens, resolves or reopens the incident; a window's start and
    completion change its region's."""
    if isinstance(event, IncidentUpdate):
        incident = event.incident
        old, new = incident_statuses(incident, incident.updates.all())[event.pk]
        region_ids = [region.pk for region in incident.regions.all()]
    else:
        old, new = WINDOW_CHANGES.get(event.action, (None, None))
        region_ids = [event.window.region_id]
    return [] if old == new else [(region_id, old, new) for region_id in region_ids]


def component_key(event, region_id):
    """The outbox's name for a region's status change caused by ``event``."""
    return f"component:{event_key(event)}:region-{region_id}"
