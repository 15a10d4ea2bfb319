"""What a webhook carries: Statuspage's webhook format, so code written for Statuspage's webhooks reads Offpeak's.

Every payload has ``meta`` (``unsubscribe``, ``documentation``, ``generated_at``) and ``page`` (``id``,
``status_indicator``, ``status_description``), then either ``incident`` with its ``incident_updates`` or
``component_update`` with ``component``. An incident is told as the v2 API shows it (``/api/v2/incidents.json``), as
of the update being told: its status then and the updates up to that one, newest first. A window is told as the v2
API's scheduled maintenance (``window-<pk>``, impact ``maintenance``, ``scheduled_for``/``scheduled_until``), its
updates being the window's audit events. The ids, names and value sets are the v2 API's, which the tests compare.
"""

from datetime import UTC

from django.conf import settings
from django.urls import reverse
from django.utils.translation import gettext as _

from endpoints.events import WINDOW_ACTIONS
from endpoints.statuses import INDICATOR, MAINTENANCE, OPERATIONAL, component, incident_statuses, page_id
from maintenance.models import Incident
from maintenance.rule import local_month
from maintenance.state import region_states, worst

# A window event's maintenance status after it; a cancelled maintenance is over, which Statuspage calls completed.
EVENT_STATUS = {
    "announce": "scheduled",
    "reschedule": "scheduled",
    "start": "in_progress",
    "complete": "completed",
    "cancel": "completed",
}


def timestamp(value):
    """Statuspage's time format: ``2026-11-28T21:00:00.000Z``."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class PageState:
    """The page at one instant (its indicator and components), read once for every payload of a chunk."""

    def __init__(self, now):
        self.now = now
        self.page_id = page_id()
        self.states = region_states(now)
        self.components = {
            region.pk: self._component(region, state, position)
            for position, (region, state) in enumerate(self.states.items(), start=1)
        }

    def page(self):
        indicator, description = INDICATOR[worst(self.states.values())]
        return {"id": self.page_id, "status_indicator": indicator, "status_description": description}

    def _component(self, region, state, position):
        raw = component(region, state, position, self.page_id)
        return {
            **raw,
            "created_at": timestamp(raw["created_at"]),
            "updated_at": timestamp(raw["updated_at"]),
            "start_date": raw["start_date"].isoformat(),
        }

    def components_of(self, region_ids):
        return [self.components[pk] for pk in region_ids if pk in self.components]

    def affected(self, region_ids, old_status, new_status):
        return [
            {"code": c["id"], "name": c["name"], "old_status": old_status, "new_status": new_status}
            for c in self.components_of(region_ids)
        ]

    # whole payloads

    def envelope(self, unsubscribe_url):
        meta = {
            "unsubscribe": unsubscribe_url,
            "documentation": settings.WEBHOOK_DOCUMENTATION_URL or f"{settings.SITE_URL}{reverse('api-docs')}",
            "generated_at": timestamp(self.now),
        }
        return {"meta": meta, "page": self.page()}

    def incident(self, update):
        """The incident of ``update`` (an IncidentUpdate, its incident and regions loaded) as of that update."""
        incident = update.incident
        updates = [u for u in incident.updates.all() if (u.created_at, u.pk) <= (update.created_at, update.pk)]
        updates.sort(key=lambda u: (u.created_at, u.pk), reverse=True)
        regions = sorted(incident.regions.all(), key=lambda region: (region.position, region.slug))
        region_ids = [region.pk for region in regions]
        statuses = incident_statuses(incident, updates)
        affected = {pk: self.affected(region_ids, *change) for pk, change in statuses.items()}
        ident = f"incident-{incident.pk}"
        month = min((local_month(incident.started_at, region.zone) for region in regions), default=None)
        monitoring = [u.created_at for u in updates if u.status == Incident.Status.MONITORING]
        resolved = update.status == Incident.Status.RESOLVED
        return {
            "id": ident,
            "name": incident.title,
            "status": update.status,
            "impact": incident.impact,
            "created_at": timestamp(incident.created_at),
            "updated_at": timestamp(incident.updated_at),
            "monitoring_at": timestamp(min(monitoring)) if monitoring else None,
            "resolved_at": timestamp(incident.resolved_at or update.created_at) if resolved else None,
            "started_at": timestamp(incident.started_at),
            "shortlink": f"{settings.SITE_URL}{reverse('history')}?month={month}#incident-{incident.pk}",
            "page_id": self.page_id,
            "incident_updates": [self._update(u, ident, affected[u.pk], u.deliver_notifications) for u in updates],
            "components": self.components_of(region_ids),
        }

    def component_update(self, region, old_status, new_status, at, ident):
        """Statuspage's ``component_update`` and ``component`` of a region whose status changed at ``at``."""
        component = {"id": f"region-{region.pk}", "name": region.name}
        return {
            "component_update": {
                "created_at": timestamp(at),
                "new_status": new_status,
                "old_status": old_status,
                "id": ident,
                "component_id": component["id"],
            },
            "component": {"created_at": timestamp(region.created_at), **component, "status": new_status},
        }

    def maintenance(self, event):
        """The window of ``event`` (an AuditEvent, its window and region loaded) as a scheduled maintenance, as of
        that event."""
        window = event.window
        events = [
            e
            for e in window.audit_events.all()
            if e.action in WINDOW_ACTIONS and (e.created_at, e.pk) <= (event.created_at, event.pk)
        ]
        events.sort(key=lambda e: (e.created_at, e.pk), reverse=True)
        ident = f"window-{window.pk}"
        status = maintenance_status(event)
        return {
            "id": ident,
            "name": f"{window.region.name}: {window.display_title()}",
            "status": status,
            "impact": "maintenance",
            "created_at": timestamp(window.created_at),
            "updated_at": timestamp(window.updated_at),
            "monitoring_at": None,
            "resolved_at": timestamp(window.actual_end) if event.action == "complete" else None,
            "started_at": timestamp(window.actual_start or window.starts_at),
            "shortlink": f"{settings.SITE_URL}{reverse('window-detail', args=[window.pk])}",
            "page_id": self.page_id,
            "incident_updates": [self._window_update(e, ident) for e in events],
            "components": self.components_of([window.region_id]),
            "scheduled_for": timestamp(window.starts_at),
            "scheduled_until": timestamp(window.ends_at),
        }

    def _window_update(self, event, ident):
        window = event.window
        running = window.actual_start is not None and event.created_at >= window.actual_start
        old = MAINTENANCE if running and event.action != "start" else OPERATIONAL
        new = {"start": MAINTENANCE, "complete": OPERATIONAL, "cancel": OPERATIONAL}.get(event.action, old)
        body = headline(event)
        if event.reason:
            body = f"{body}. {event.reason}"
        affected = self.affected([window.region_id], old, new)
        return self._update(
            event, ident, affected, True, status=maintenance_status(event), body=body, prefix="window-event"
        )

    @staticmethod
    def _update(update, ident, affected, deliver, status=None, body=None, prefix="incident-update"):
        return {
            "id": f"{prefix}-{update.pk}",
            "status": status or update.status,
            "body": update.body if body is None else body,
            "incident_id": ident,
            "created_at": timestamp(update.created_at),
            "updated_at": timestamp(update.created_at),
            "display_at": timestamp(update.created_at),
            "affected_components": affected,
            "deliver_notifications": deliver,
            "custom_tweet": None,
            "tweet_id": None,
        }


def maintenance_status(event):
    window = event.window
    if event.action == "extend":
        running = window.actual_start is not None and event.created_at >= window.actual_start
        return "in_progress" if running else "scheduled"
    return EVENT_STATUS[event.action]


def headline(event):
    """One line saying what happened to the window, in the site's language."""
    window = event.window
    when = timestamp(window.starts_at)
    forms = {
        "announce": _("%(region)s: maintenance announced for %(when)s"),
        "reschedule": _("%(region)s: maintenance moved to %(when)s"),
        "cancel": _("%(region)s: maintenance on %(when)s cancelled"),
        "start": _("%(region)s: maintenance started"),
        "complete": _("%(region)s: maintenance completed"),
        "extend": _("%(region)s: maintenance extended to %(until)s"),
    }
    return forms[event.action] % {"region": window.region.name, "when": when, "until": timestamp(window.ends_at)}
