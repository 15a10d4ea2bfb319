"""Incident time the SLA does not count."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance.models.incidents import Incident


class SlaExclusion(models.Model):
    """Incident time that does not count against the SLA, for one of the causes the SLA names.

    Written and revoked only through ``maintenance.exclusions``; the reason is internal unless ``publish_reason``.
    """

    class Category(models.TextChoices):
        # The seed's words, in its order.
        FORCE_MAJEURE = "force_majeure", _("Force majeure")
        GOVERNMENT = "government", _("Act of government")
        FLOOD = "flood", _("Flood")
        FIRE = "fire", _("Fire")
        EARTHQUAKE = "earthquake", _("Earthquake")
        RIOTS = "riots", _("Riots")
        TERROR = "terror", _("Act of terror")
        ISP = "isp", _("Failure or delay of internet service providers")
        DDOS = "ddos", _("Denial-of-service attack")

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="exclusions")
    category = models.CharField(_("category"), max_length=20, choices=Category.choices)
    starts_at = models.DateTimeField(_("excluded from"), help_text=_("Within the incident's span."))
    ends_at = models.DateTimeField(
        _("excluded until"), null=True, blank=True, help_text=_("Leave empty: until the incident ends.")
    )
    reason = models.CharField(_("reason"), max_length=500, help_text=_("Internal unless published; one line."))
    publish_reason = models.BooleanField(_("publish the reason"), default=False)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        ordering = ["starts_at", "id"]
        verbose_name = _("SLA exclusion")
        verbose_name_plural = _("SLA exclusions")
        permissions = [("exclude_incident_time", _("Can exclude incident time from the SLA"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True) | models.Q(ends_at__gt=models.F("starts_at")),
                name="sla_exclusion_ends_after_start",
            ),
        ]

    def __str__(self):
        return f"{self.incident} – {self.get_category_display()}"
