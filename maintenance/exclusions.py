"""SLA exclusions: incident time set aside for one of the causes the SLA names. The only code that writes them.

Only a user with ``maintenance.exclude_incident_time`` may add or revoke one (the admin checks it; the service
checks it again for any other caller). Each change is one transaction with its audit event on the incident;
revoking deletes the exclusion and its audit event keeps what it said.
"""

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import audit
from maintenance.models import Incident, SlaExclusion

PERMISSION = "maintenance.exclude_incident_time"
MAX_REASON = 500


class ExclusionError(Exception):
    """An exclusion that is not allowed; ``field`` names the form field it is about, or None."""

    def __init__(self, message, field=None):
        super().__init__(message)
        self.field = field


def check(incident, category, reason, starts_at, ends_at, now):
    """Raise ExclusionError unless the exclusion is valid for ``incident`` as it is now; returns the span."""
    if category not in SlaExclusion.Category.values:
        raise ExclusionError(
            _("%(category)r is not a category; use one of %(choices)s.")
            % {"category": category, "choices": ", ".join(SlaExclusion.Category.values)},
            "category",
        )
    reason = (reason or "").strip()
    if not reason:
        raise ExclusionError(_("Say why this time is excluded."), "reason")
    if len(reason) > MAX_REASON:
        raise ExclusionError(_("The reason is at most %(max)s characters.") % {"max": MAX_REASON}, "reason")
    if "\r" in reason or "\n" in reason:
        raise ExclusionError(_("The reason is one line: no line breaks."), "reason")
    starts_at = starts_at or incident.started_at
    incident_end = incident.resolved_at or now
    if starts_at < incident.started_at or starts_at >= incident_end:
        raise ExclusionError(_("The excluded span must start within the incident."), "starts_at")
    if ends_at is not None and ends_at <= starts_at:
        raise ExclusionError(_("The excluded span must end after it starts."), "ends_at")
    if ends_at is not None and ends_at > incident_end:
        raise ExclusionError(_("The excluded span must end within the incident."), "ends_at")
    return reason, starts_at, ends_at


def exclude(incident, category, reason, starts_at=None, ends_at=None, publish_reason=False, actor=None, now=None):
    """Exclude ``incident`` (or the part from ``starts_at`` to ``ends_at``) from the SLA under ``category``.

    ``starts_at`` defaults to the incident's start; ``ends_at`` empty means until the incident ends.
    """
    now = now or timezone.now()
    _require_permission(actor)
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        reason, starts_at, ends_at = check(incident, category, reason, starts_at, ends_at, now)
        exclusion = SlaExclusion.objects.create(
            incident=incident,
            category=category,
            starts_at=starts_at,
            ends_at=ends_at,
            reason=reason,
            publish_reason=publish_reason,
            created_at=now,
        )
        audit.record(actor, "sla_exclude", _describe(exclusion, added=True), now, reason, incident=incident)
    return exclusion


def revoke(exclusion, actor=None, reason="", now=None):
    """Count the excluded time again: the exclusion goes, its audit event says what it was."""
    now = now or timezone.now()
    _require_permission(actor)
    with transaction.atomic():
        try:
            exclusion = SlaExclusion.objects.select_for_update().select_related("incident").get(pk=exclusion.pk)
        except SlaExclusion.DoesNotExist:
            raise ExclusionError(_("This exclusion was already revoked.")) from None
        changes = _describe(exclusion, added=False)
        incident = exclusion.incident
        exclusion.delete()
        audit.record(actor, "sla_exclusion_revoke", changes, now, reason, incident=incident)


def _require_permission(actor):
    user = getattr(actor, "user", actor)
    if user is not None and hasattr(user, "has_perm") and not user.has_perm(PERMISSION):
        raise ExclusionError(_("Only a user allowed to exclude incident time from the SLA can do this."))


def _describe(exclusion, added):
    values = {
        "category": exclusion.category,
        "starts_at": exclusion.starts_at.isoformat(),
        "ends_at": exclusion.ends_at.isoformat() if exclusion.ends_at else None,
        "publish_reason": exclusion.publish_reason,
    }
    return {field: [None, value] if added else [value, None] for field, value in values.items()}
