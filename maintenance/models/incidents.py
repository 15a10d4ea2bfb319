"""Incidents and the dated updates posted on them."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance.models.regions import Region


class Incident(models.Model):
    """Unplanned trouble in one or more regions."""

    class Impact(models.TextChoices):
        MINOR = "minor", _("Minor")
        MAJOR = "major", _("Major")
        CRITICAL = "critical", _("Critical")

    class Status(models.TextChoices):
        INVESTIGATING = "investigating", _("Investigating")
        IDENTIFIED = "identified", _("Identified")
        MONITORING = "monitoring", _("Monitoring")
        RESOLVED = "resolved", _("Resolved")

    title = models.CharField(_("title"), max_length=200)
    regions = models.ManyToManyField(Region, verbose_name=_("regions affected"), related_name="incidents")
    impact = models.CharField(_("impact"), max_length=10, choices=Impact.choices, default=Impact.MINOR)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INVESTIGATING)
    started_at = models.DateTimeField(_("started at"), db_index=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    source = models.CharField(
        _("opened by"),
        max_length=60,
        blank=True,
        editable=False,
        help_text=_("The monitor that opened it (alertmanager, uptime-kuma, ...); empty when a person did."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-started_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidents")
        permissions = [("automate_incidents", _("Can open, update and resolve incidents from monitoring alerts"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True) | models.Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolves_after_start",
            ),
        ]

    def __str__(self):
        return self.title

    @property
    def is_open(self):
        return self.status != self.Status.RESOLVED

    @property
    def opened_by_automation(self):
        return bool(self.source)


class IncidentUpdate(models.Model):
    """A dated message on an incident, with the status it moved to."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=20, choices=Incident.Status.choices)
    body = models.TextField(_("message"), max_length=10000)
    created_at = models.DateTimeField(_("posted at"), db_index=True)
    # Statuspage's ``deliver_notifications``: False posts the update on the page without telling subscribers.
    deliver_notifications = models.BooleanField(
        _("notify subscribers"),
        default=True,
        help_text=_("Untick to post this update on the status page without sending subscribers a notice."),
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")

    def __str__(self):
        return f"{self.incident} – {self.get_status_display()}"
