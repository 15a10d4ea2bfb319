"""The audit trail the services write."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance.models.incidents import Incident
from maintenance.models.windows import Window


class AuditEvent(models.Model):
    """Who changed what, when and why. Written by the services, never edited."""

    window = models.ForeignKey(Window, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events")
    incident = models.ForeignKey(Incident, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=150, help_text=_("The user, or 'schedule' for beat."))
    action = models.CharField(_("action"), max_length=40, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, help_text=_("field: [old, new]"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("when"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"
