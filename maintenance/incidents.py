"""Incidents: open, post an update, resolve. Each change is one transaction with its audit event.

The admin and the API both call these functions; no other code writes an
incident's status or times. Each update posted says whether subscribers are told of it (``deliver_notifications``,
as Statuspage calls it); once the change has committed, ``incident_changed`` nudges whoever sends the notices.
"""

import logging
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import audit
from maintenance.models import Incident, IncidentUpdate
from maintenance.signals import incident_changed

logger = logging.getLogger(__name__)


class IncidentError(Exception):
    """A change to an incident that is not allowed; the message says why, for people."""


def open_incident(
    title,
    regions,
    impact,
    body,
    actor=None,
    status=Incident.Status.INVESTIGATING,
    started_at=None,
    now=None,
    source="",
    deliver_notifications=True,
):
    """Open an incident in ``regions`` with its first update; ``source`` names the monitor that opened it, if any."""
    now = now or timezone.now()
    started_at = started_at or now
    regions = list(regions)
    if not regions:
        raise IncidentError(_("An incident affects at least one region."))
    if started_at > now:
        raise IncidentError(_("An incident cannot start in the future."))
    if status == Incident.Status.RESOLVED:
        raise IncidentError(_("Open the incident first, then resolve it."))
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title, impact=impact, status=status, started_at=started_at, source=source
        )
        incident.regions.set(regions)
        update = IncidentUpdate.objects.create(
            incident=incident, status=status, body=body, created_at=now, deliver_notifications=deliver_notifications
        )
        _audit(
            incident,
            actor,
            "incident_open",
            {
                "title": [None, title],
                "regions": [None, sorted(region.slug for region in regions)],
                "impact": [None, impact],
                "status": [None, status],
                "started_at": [None, started_at.isoformat()],
                **({"source": [None, source]} if source else {}),
            },
            now,
        )
        _tell(incident, update, "open")
    return incident


def post_update(incident, status, body, actor=None, impact=None, now=None, deliver_notifications=True):
    """Add a dated update; it moves the incident to ``status`` (resolving it if that is ``resolved``).

    ``deliver_notifications=False`` posts it on the page without a notice to subscribers.
    """
    now = now or timezone.now()
    if status == Incident.Status.RESOLVED:
        return resolve(incident, body=body, actor=actor, now=now, deliver_notifications=deliver_notifications)
    with transaction.atomic():
        incident = _lock(incident)
        if incident.status == Incident.Status.RESOLVED:
            raise IncidentError(_("The incident is resolved; open a new one."))
        changes = {}
        if incident.status != status:
            changes["status"] = [incident.status, status]
            incident.status = status
        if impact and impact != incident.impact:
            changes["impact"] = [incident.impact, impact]
            incident.impact = impact
        incident.save(update_fields=["status", "impact", "updated_at"])
        update = IncidentUpdate.objects.create(
            incident=incident, status=status, body=body, created_at=now, deliver_notifications=deliver_notifications
        )
        _audit(incident, actor, "incident_update", changes, now, reason=body)
        _tell(incident, update, "update")
    return incident


def resolve(incident, body="", actor=None, resolved_at=None, now=None, deliver_notifications=True):
    """Resolve an open incident; resolving a resolved one changes nothing."""
    now = now or timezone.now()
    resolved_at = resolved_at or now
    with transaction.atomic():
        incident = _lock(incident)
        if incident.status == Incident.Status.RESOLVED:
            return incident
        if resolved_at < incident.started_at:
            raise IncidentError(_("An incident cannot be resolved before it started."))
        if resolved_at > now:
            raise IncidentError(_("An incident cannot be resolved in the future."))
        changes = {
            "status": [incident.status, Incident.Status.RESOLVED],
            "resolved_at": [None, resolved_at.isoformat()],
        }
        incident.status = Incident.Status.RESOLVED
        incident.resolved_at = resolved_at
        incident.save(update_fields=["status", "resolved_at", "updated_at"])
        update = IncidentUpdate.objects.create(
            incident=incident,
            status=Incident.Status.RESOLVED,
            body=body or _("This incident has been resolved."),
            created_at=now,
            deliver_notifications=deliver_notifications,
        )
        _audit(incident, actor, "incident_resolve", changes, now, reason=body)
        _tell(incident, update, "resolve")
    return incident


def edit(incident, *, title=None, impact=None, started_at=None, regions=None, actor=None, now=None):
    """Change what an incident says (title, impact, start, regions); ``None`` leaves a field as it is.

    Its status and resolution change only through ``post_update`` and ``resolve``. One audit event lists what
    changed, as {field: [old, new]}; an edit that changes nothing writes none.
    """
    now = now or timezone.now()
    regions = None if regions is None else list(regions)
    if regions == []:
        raise IncidentError(_("An incident affects at least one region."))
    with transaction.atomic():
        incident = _lock(incident)
        if started_at is not None and started_at > now:
            raise IncidentError(_("An incident cannot start in the future."))
        if started_at is not None and incident.resolved_at and started_at > incident.resolved_at:
            raise IncidentError(_("An incident cannot start after it was resolved."))
        changes = {}
        for field, value in (("title", title), ("impact", impact), ("started_at", started_at)):
            if value is not None and value != getattr(incident, field):
                changes[field] = [str(getattr(incident, field)), str(value)]
                setattr(incident, field, value)
        if changes:
            incident.save(update_fields=[*changes, "updated_at"])
        if regions is not None:
            before = sorted(incident.regions.values_list("slug", flat=True))
            after = sorted(region.slug for region in regions)
            if before != after:
                incident.regions.set(regions)
                changes["regions"] = [before, after]
        if changes:
            _audit(incident, actor, "incident_edit", changes, now)
    return incident


def reopen(incident, body, actor=None, now=None, deliver_notifications=True):
    """Reopen a resolved incident (the trouble came back): it is open again from its first start, as if never
    resolved. Reopening an open incident changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        incident = _lock(incident)
        if incident.status != Incident.Status.RESOLVED:
            return incident
        changes = {
            "status": [incident.status, Incident.Status.INVESTIGATING],
            "resolved_at": [incident.resolved_at.isoformat(), None],
        }
        incident.status = Incident.Status.INVESTIGATING
        incident.resolved_at = None
        incident.save(update_fields=["status", "resolved_at", "updated_at"])
        update = IncidentUpdate.objects.create(
            incident=incident,
            status=Incident.Status.INVESTIGATING,
            body=body,
            created_at=now,
            deliver_notifications=deliver_notifications,
        )
        _audit(incident, actor, "incident_reopen", changes, now, reason=body)
        _tell(incident, update, "reopen")
    return incident


def _lock(incident):
    return Incident.objects.select_for_update().get(pk=incident.pk)


def _tell(incident, update, action):
    """Send ``incident_changed`` once the transaction commits (only a nudge: the beat finds the notices anyway)."""
    transaction.on_commit(partial(_send_changed, incident.pk, update.pk, action))


def _send_changed(incident_id, update_id, action):
    """A failing listener is logged, never undoes the committed change."""
    for receiver, result in incident_changed.send_robust(
        sender=Incident, incident_id=incident_id, update_id=update_id, action=action
    ):
        if isinstance(result, Exception):
            logger.error("incident_changed listener %r failed for incident %s: %r", receiver, incident_id, result)


def _audit(incident, actor, action, changes, now, reason=""):
    audit.record(actor, action, changes, now, reason, incident=incident)
