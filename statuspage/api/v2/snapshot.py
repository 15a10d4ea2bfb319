"""What every ``/api/v2/`` response is built from: the page's state at one instant, in Statuspage's words."""

from django.conf import settings
from django.db.models import Max, Prefetch, Q
from django.urls import reverse

from endpoints.statuses import COMPONENT_STATUS, INDICATOR, component, page_id
from maintenance.models import AuditEvent, Incident, IncidentUpdate, Region, Window
from maintenance.state import IMPACT_STATE, RegionState, region_states, worst
from statuspage.feeds import headline
from statuspage.months import incident_month

RECENT = 50
MAINTENANCE_STATUS = {
    Window.Status.SCHEDULED: "scheduled",
    Window.Status.IN_PROGRESS: "in_progress",
    Window.Status.COMPLETED: "completed",
}
EVENT_STATUS = {"announce": "scheduled", "reschedule": "scheduled", "start": "in_progress", "complete": "completed"}
ANNOUNCED = [Window.Status.SCHEDULED, Window.Status.IN_PROGRESS, Window.Status.COMPLETED]
# A window is a scheduled maintenance once it is announced, or once it has started even though it never was: a
# region under maintenance always has the maintenance that explains it.
SHOWN = Q(announced_at__isnull=False, status__in=ANNOUNCED) | Q(
    actual_start__isnull=False, status__in=[Window.Status.IN_PROGRESS, Window.Status.COMPLETED]
)
# The window events subscribers get a notice for (notifications.schedule): the announcement, a move of an announced
# window, the start and the end. An extension sends none. An incident update says itself whether it notified.
NOTIFIED_EVENTS = {"announce", "reschedule", "start", "complete"}
OPERATIONAL = "operational"
MAINTENANCE = "under_maintenance"
OVERRUN = COMPONENT_STATUS[RegionState.OVERRUNNING]


class Snapshot:
    """The state of the page at one instant, read once and shared by every part of a response."""

    def __init__(self, now):
        self.now = now
        self.page_id = page_id()
        self.states = region_states(now)
        self.components = {
            region.pk: self._component(region, state, position)
            for position, (region, state) in enumerate(self.states.items(), start=1)
        }

    def page(self):
        latest = [model.objects.aggregate(latest=Max("updated_at"))["latest"] for model in (Region, Window, Incident)]
        latest = [value for value in latest if value is not None]
        return {
            "id": self.page_id,
            "name": settings.SITE_NAME,
            "url": settings.SITE_URL,
            "time_zone": "Etc/UTC",
            "updated_at": max(latest, default=self.now),
        }

    def status(self):
        indicator, description = INDICATOR[worst(self.states.values())]
        return {"indicator": indicator, "description": description}

    def _component(self, region, state, position):
        return component(region, state, position, self.page_id)

    def _components_of(self, region_ids):
        return [self.components[pk] for pk in region_ids if pk in self.components]

    def _affected(self, region_ids, old_status, new_status):
        """Statuspage's ``affected_components`` of an update: each component it concerns, its status before and
        after the update."""
        return [
            {"code": component["id"], "name": component["name"], "old_status": old_status, "new_status": new_status}
            for component in self._components_of(region_ids)
        ]

    # incidents

    def incidents(self, unresolved=False):
        incidents = Incident.objects.prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("regions", queryset=Region.objects.only("id", "position", "timezone").order_by("position")),
        ).order_by("-started_at", "-id")
        if unresolved:
            incidents = incidents.exclude(status=Incident.Status.RESOLVED)
        else:
            incidents = incidents[:RECENT]
        return [self._incident(incident) for incident in incidents]

    def _incident(self, incident):
        updates = list(incident.updates.all())
        monitoring = [u.created_at for u in updates if u.status == Incident.Status.MONITORING]
        ident = f"incident-{incident.pk}"
        month = incident_month(incident)
        region_ids = [r.pk for r in incident.regions.all()]
        # The regions' status through the updates, oldest first: the incident's impact while it is open,
        # operational again once it is resolved.
        open_status = COMPONENT_STATUS[IMPACT_STATE[incident.impact]]
        before, affected = OPERATIONAL, {}
        for update in reversed(updates):
            after = OPERATIONAL if update.status == Incident.Status.RESOLVED else open_status
            affected[update.pk] = self._affected(region_ids, before, after)
            before = after
        return {
            "id": ident,
            "name": incident.title,
            "status": incident.status,
            "impact": incident.impact,
            "created_at": incident.created_at,
            "updated_at": incident.updated_at,
            "monitoring_at": min(monitoring) if monitoring else None,
            "resolved_at": incident.resolved_at if incident.status == Incident.Status.RESOLVED else None,
            "started_at": incident.started_at,
            "shortlink": f"{settings.SITE_URL}{reverse('history')}?month={month}#incident-{incident.pk}",
            "page_id": self.page_id,
            "incident_updates": [
                {
                    "id": f"incident-update-{u.pk}",
                    "status": u.status,
                    "body": u.body,
                    "incident_id": ident,
                    "created_at": u.created_at,
                    "updated_at": u.created_at,
                    "display_at": u.created_at,
                    "affected_components": affected[u.pk],
                    "deliver_notifications": u.deliver_notifications,
                    "custom_tweet": None,
                    "tweet_id": None,
                }
                for u in updates
            ],
            "components": self._components_of(region_ids),
        }

    # scheduled maintenances

    def maintenances(self, which="recent"):
        windows = Window.objects.filter(SHOWN).prefetch_related(
            Prefetch(
                "audit_events",
                queryset=AuditEvent.objects.filter(action__in=["announce", "reschedule", "extend", "start", "complete"])
                .select_related("window__region")
                .order_by("-created_at", "-id"),
            )
        )
        windows = windows.select_related("region")
        if which == "upcoming":
            windows = windows.filter(status=Window.Status.SCHEDULED).order_by("starts_at", "id")
        elif which == "active":
            windows = windows.filter(status=Window.Status.IN_PROGRESS).order_by("starts_at", "id")
        elif which == "open":
            windows = windows.filter(status__in=[Window.Status.SCHEDULED, Window.Status.IN_PROGRESS])
            windows = windows.order_by("starts_at", "id")
        else:
            windows = windows.order_by("-starts_at", "-id")[:RECENT]
        return [self._maintenance(window) for window in windows]

    def _maintenance(self, window):
        ident = f"window-{window.pk}"
        started = window.actual_start
        events = list(window.audit_events.all())
        return {
            "id": ident,
            "name": f"{window.region.name}: {window.display_title()}",
            "status": MAINTENANCE_STATUS[window.status],
            "impact": "maintenance",
            "created_at": window.created_at,
            "updated_at": window.updated_at,
            "monitoring_at": None,
            "resolved_at": window.actual_end if window.status == Window.Status.COMPLETED else None,
            "started_at": started or window.starts_at,
            "shortlink": f"{settings.SITE_URL}{reverse('window-detail', args=[window.pk])}",
            "page_id": self.page_id,
            "incident_updates": [self._maintenance_update(event, ident, events) for event in events],
            "components": self._components_of([window.region_id]),
            "scheduled_for": window.starts_at,
            "scheduled_until": window.ends_at,
        }

    def _maintenance_update(self, event, ident, events):
        window = event.window
        running = window.actual_start is not None and event.created_at >= window.actual_start
        if event.action == "extend":
            status = "in_progress" if running else "scheduled"
        else:
            status = EVENT_STATUS[event.action]
        # The region's status before and after the event: under maintenance while the window runs (past its
        # promised end, the overrun's status), operational otherwise.
        overran = running and event.created_at >= window.promised_end
        old = OPERATIONAL if not running or event.action == "start" else OVERRUN if overran else MAINTENANCE
        new = {"start": MAINTENANCE, "complete": OPERATIONAL}.get(event.action, old)
        if event.action == "reschedule":
            notified = window.announced_at is not None and window.announced_at <= event.created_at
        elif event.action == "extend":
            notified = running  # an extension of a running window sends the "extended" notice
        else:
            notified = event.action in NOTIFIED_EVENTS
        body = headline(event, events)
        if event.reason:
            body = f"{body}. {event.reason}"
        return {
            "id": f"window-event-{event.pk}",
            "status": status,
            "body": body,
            "incident_id": ident,
            "created_at": event.created_at,
            "updated_at": event.created_at,
            "display_at": event.created_at,
            "affected_components": self._affected([window.region_id], old, new),
            "deliver_notifications": notified,
            "custom_tweet": None,
            "tweet_id": None,
        }
