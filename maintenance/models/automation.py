"""What incident automation remembers of monitoring alerts: groups, alerts and receipts."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance.models.incidents import Incident


class AlertGroup(models.Model):
    """One incident's identity for automation: a monitor's group (Alertmanager's ``groupKey``) and a region set.

    It points at the incident it opened last; its row is the lock that serialises notifications for the group.
    """

    key = models.CharField(_("key"), max_length=64, unique=True, help_text=_("sha256 of source, group and regions."))
    source = models.CharField(_("source"), max_length=60)
    group = models.CharField(_("group"), max_length=500)
    regions = models.CharField(_("regions"), max_length=500)
    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.SET_NULL, related_name="alert_groups"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("alert group")
        verbose_name_plural = _("alert groups")

    def __str__(self):
        return f"{self.source} {self.group} [{self.regions}]"


class AlertState(models.Model):
    """One alert of a group as automation last saw it; the incident resolves when none of its alerts fires."""

    group = models.ForeignKey(AlertGroup, on_delete=models.CASCADE, related_name="alerts")
    fingerprint = models.CharField(_("fingerprint"), max_length=200)
    firing = models.BooleanField(_("firing"), default=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        constraints = [models.UniqueConstraint(fields=["group", "fingerprint"], name="alert_once_per_group")]

    def __str__(self):
        return f"{self.fingerprint} ({'firing' if self.firing else 'resolved'})"


class AlertReceipt(models.Model):
    """A notification already acted on: (source, fingerprint, startsAt, status), or a generic event's id.

    A repeat finds its receipt and changes nothing.
    """

    source = models.CharField(_("source"), max_length=60)
    key = models.CharField(_("key"), max_length=300)
    received_at = models.DateTimeField(_("received at"), db_index=True)

    class Meta:
        verbose_name = _("alert receipt")
        verbose_name_plural = _("alert receipts")
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="alert_receipt_once")]

    def __str__(self):
        return f"{self.source} {self.key}"
