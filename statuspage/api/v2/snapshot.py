"""What every ``/api/v2/`` response is built from: the page's state at one instant, in Statuspage's words."""

from functools import cached_property

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch, Q
from django.urls import reverse

from endpoints.statuses import COMPONENT_STATUS, INDICATOR, component, page_id
from maintenance.models import AuditEvent, Incident, IncidentUpdate, Region, Window
from maintenance.state import IMPACT_STATE, RegionState, window_state, worst
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
OPEN = {
    "upcoming": {Window.Status.SCHEDULED},
    "active": {Window.Status.IN_PROGRESS},
    "open": {Window.Status.SCHEDULED, Window.Status.IN_PROGRESS},
}
OPERATIONAL = "operational"
MAINTENANCE = "under_maintenance"
OVERRUN = COMPONENT_STATUS[RegionState.OVERRUNNING]


def _shown(window):
    """SHOWN, for a window in hand: announced (and scheduled, in progress or completed), or started."""
    if window.announced_at is not None and window.status in ANNOUNCED:
        return True
    return window.actual_start is not None and window.status in (Window.Status.IN_PROGRESS, Window.Status.COMPLETED)


def newest_changes():
    """The latest ``updated_at`` of the regions, the windows and the incidents, in one query."""
    tables = (connection.ops.quote_name(model._meta.db_table) for model in (Region, Window, Incident))
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f"(SELECT MAX(updated_at) FROM {table})" for table in tables))
        values = cursor.fetchone()
    # A raw query skips the field's conversion: SQLite gives text, which the backend turns into an aware datetime.
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    return [convert(value, None, connection) for value in values] if convert else list(values)


class Snapshot:
    """The state of the page at one instant, read once and shared by every part of a response."""

    def __init__(self, now):
        self.now = now
        self.page_id = page_id()
        self.states = self._states()
        self.components = {
            region.pk: self._component(region, state, position)
            for position, (region, state) in enumerate(self.states.items(), start=1)
        }

    def _states(self):
        """``{region: RegionState}`` for the active regions, as ``maintenance.state.region_states`` works them out,
        from the open windows and incidents this snapshot reads anyway for its maintenances and incidents."""
        regions = list(Region.objects.filter(active=True))
        for region in regions:
            region.running, region.open_incidents = [], []
        by_id = {region.pk: region for region in regions}
        for window in self._open_windows:
            if window.status == Window.Status.IN_PROGRESS and window.region_id in by_id:
                by_id[window.region_id].running.append(window)
        for incident in self._open_incidents:
            for region in incident.regions.all():
                if region.pk in by_id:
                    by_id[region.pk].open_incidents.append(incident)
        return {
            region: worst(
                [window_state(w, self.now) for w in region.running]
                + [IMPACT_STATE[i.impact] for i in region.open_incidents]
            )
            for region in regions
        }

    @cached_property
    def _open_windows(self):
        """Every window scheduled or in progress, with its region and the audit events its updates are made of."""
        windows = Window.objects.filter(status__in=[Window.Status.SCHEDULED, Window.Status.IN_PROGRESS])
        return list(self._with_events(windows).order_by("starts_at", "id"))

    @cached_property
    def _open_incidents(self):
        return list(self._incidents().exclude(status=Incident.Status.RESOLVED))

    def page(self):
        latest = [value for value in newest_changes() if value is not None]
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
        incidents = self._open_incidents if unresolved else self._incidents()[:RECENT]
        return [self._incident(incident) for incident in incidents]

    @staticmethod
    def _incidents():
        return Incident.objects.prefetch_related(
            Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
            Prefetch("regions", queryset=Region.objects.only("id", "position", "timezone").order_by("position")),
        ).order_by("-started_at", "-id")

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
        if which in OPEN:
            # The open windows are few and read once per snapshot; the shown ones are those SHOWN selects.
            windows = [w for w in self._open_windows if w.status in OPEN[which] and _shown(w)]
        else:
            windows = self._with_events(Window.objects.filter(SHOWN)).order_by("-starts_at", "-id")[:RECENT]
        return [self._maintenance(window) for window in windows]

    @staticmethod
    def _with_events(windows):
        return windows.select_related("region").prefetch_related(
            Prefetch(
                "audit_events",
                queryset=AuditEvent.objects.filter(action__in=["announce", "reschedule", "extend", "start", "complete"])
                .select_related("window__region")
                .order_by("-created_at", "-id"),
            )
        )

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
