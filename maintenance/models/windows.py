"""A region's maintenance window on one date."""

from datetime import UTC

from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance import rule
from maintenance.models.regions import Region


class WindowQuerySet(models.QuerySet):
    def upcoming(self, now):
        return self.filter(ends_at__gt=now).exclude(status=Window.Status.CANCELLED)


class Window(models.Model):
    """One region's maintenance on one date."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        COMPLETED = "completed", _("Completed")
        CANCELLED = "cancelled", _("Cancelled")

    class Origin(models.TextChoices):
        RULE = "rule", _("Planned by the rule")
        MANUAL = "manual", _("Added by hand")

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="windows")
    month = models.DateField(_("month"), help_text=_("The first day of the region's local month it serves."))
    origin = models.CharField(_("origin"), max_length=10, choices=Origin.choices, default=Origin.MANUAL)
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    sequence = models.PositiveIntegerField(_("sequence"), default=0)
    title = models.CharField(_("title"), max_length=200, blank=True)
    release_summary = models.TextField(_("release summary"), blank=True, max_length=20000)
    release_summary_translations = models.JSONField(
        _("release summary in other languages"),
        default=dict,
        blank=True,
        help_text=_("{language code: summary}; the release summary above is the English one and the fallback."),
    )
    actual_start = models.DateTimeField(_("actual start"), null=True, blank=True)
    actual_end = models.DateTimeField(_("actual end"), null=True, blank=True)
    announced_at = models.DateTimeField(_("announced at"), null=True, blank=True)
    announced_ends_at = models.DateTimeField(
        _("announced end"),
        null=True,
        blank=True,
        help_text=_("The end customers were promised before the window began; an extension while it runs keeps it."),
    )
    auto_start = models.BooleanField(_("start automatically"), default=True)
    auto_complete = models.BooleanField(
        _("complete automatically"), default=False, help_text=_("Off: a person or the pipeline confirms the end.")
    )
    edited_by_hand = models.BooleanField(
        _("edited by hand"),
        default=False,
        help_text=_("Set once a person changes its times; the rule leaves it alone."),
    )
    # The local wall-clock start the window was planned or rescheduled for, in the zone it was meant in. When new
    # time-zone rules map that wall time to another UTC instant, maintenance.zonerules notices.
    local_date = models.DateField(_("local start date"), null=True, blank=True)
    local_time = models.TimeField(_("local start time"), null=True, blank=True)
    local_zone = models.CharField(_("local time zone"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WindowQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "region__position"]
        verbose_name = _("window")
        verbose_name_plural = _("windows")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "month"], condition=models.Q(origin="rule"), name="one_rule_window_per_region_month"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="window_ends_after_start"
            ),
        ]
        indexes = [models.Index(fields=["status", "starts_at"])]
        permissions = [("manage_windows", _("Can announce, start, complete, cancel, reschedule and extend windows"))]

    def __str__(self):
        return f"{self.region} {self.starts_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC"

    def save(self, *args, **kwargs):
        # A new window remembers the local wall time it starts at, under the zone data installed now.
        if not self.local_zone and self.starts_at is not None and self.region_id is not None:
            for field, value in self.local_start_fields(self.region.timezone, self.starts_at).items():
                setattr(self, field, value)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = [*kwargs["update_fields"], "local_date", "local_time", "local_zone"]
        super().save(*args, **kwargs)

    @staticmethod
    def local_start_fields(zone_name, starts_at):
        """``local_date``, ``local_time`` and ``local_zone`` for a window starting at ``starts_at``."""
        local = starts_at.astimezone(rule.zone(zone_name))
        return {"local_date": local.date(), "local_time": local.time().replace(tzinfo=None), "local_zone": zone_name}

    @property
    def duration(self):
        return self.ends_at - self.starts_at

    def display_title(self):
        return self.title or _("Monthly release")

    def summary_in(self, language):
        """The release summary in ``language`` (such as "de" or "de-at"), or the English one when it has none."""
        translations = self.release_summary_translations or {}
        code = (language or "").lower()
        for candidate in (code, code.split("-")[0]):
            text = translations.get(candidate) or ""
            if text.strip():
                return text
        return self.release_summary

    @property
    def promised_end(self):
        """The end announced ahead of the window, or its planned end when it was never announced."""
        return self.announced_ends_at or self.ends_at

    def is_overrunning(self, now):
        return self.status == self.Status.IN_PROGRESS and now >= self.promised_end
