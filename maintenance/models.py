from datetime import UTC

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from maintenance import rule


def validate_timezone(value):
    try:
        rule.zone(value)
    except ValueError as exc:
        raise ValidationError(str(exc), code="invalid_timezone") from None


class Region(models.Model):
    """A data centre whose customers share one release window a month."""

    slug = models.SlugField(_("slug"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    timezone = models.CharField(_("time zone"), max_length=64, validators=[validate_timezone])
    offpeak_start = models.TimeField(_("off-peak start"), help_text=_("Local wall-clock time."))
    window_minutes = models.PositiveSmallIntegerField(
        _("window length (minutes)"),
        default=60,
        validators=[MinValueValidator(rule.MIN_MINUTES), MaxValueValidator(rule.MAX_MINUTES)],
    )
    active = models.BooleanField(_("active"), default=True)
    position = models.PositiveSmallIntegerField(_("display order"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_minutes__gte=rule.MIN_MINUTES, window_minutes__lte=rule.MAX_MINUTES),
                name="region_window_minutes_1_to_60",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def zone(self):
        return rule.zone(self.timezone)

    def slot(self, month):
        """The window the rule gives this region in ``month``."""
        return rule.window(month, self.zone, self.offpeak_start, self.window_minutes)


class Freeze(models.Model):
    """A change freeze: no window is planned for this month (in one region or all)."""

    month = models.DateField(_("month"), help_text=_("The first day of the frozen month."))
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="freezes",
        help_text=_("Leave empty to freeze every region."),
    )
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["month"]
        verbose_name = _("frozen month")
        verbose_name_plural = _("frozen months")
        constraints = [
            models.UniqueConstraint(fields=["month", "region"], name="freeze_once_per_region_month"),
            models.UniqueConstraint(
                fields=["month"], condition=models.Q(region__isnull=True), name="freeze_once_per_month_all"
            ),
        ]

    def __str__(self):
        where = self.region.name if self.region_id else _("all regions")
        return f"{self.month:%Y-%m} ({where})"

    def clean(self):
        if self.month and self.month.day != 1:
            self.month = self.month.replace(day=1)


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


class IncidentUpdate(models.Model):
    """A dated message on an incident, with the status it moved to."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(_("status"), max_length=20, choices=Incident.Status.choices)
    body = models.TextField(_("message"), max_length=10000)
    created_at = models.DateTimeField(_("posted at"), db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("incident update")
        verbose_name_plural = _("incident updates")

    def __str__(self):
        return f"{self.incident} – {self.get_status_display()}"


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


class IdempotencyKey(models.Model):
    """A pipeline call made with an ``Idempotency-Key`` header, and the answer it got.

    A repeat with the same key and the same body gets the stored answer and changes
    nothing; the same key with another endpoint or body is refused.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=200)
    endpoint = models.CharField(_("endpoint"), max_length=200)
    request_hash = models.CharField(_("request hash"), max_length=64)
    response_status = models.PositiveSmallIntegerField(_("response status"))
    response_body = models.JSONField(_("response body"), default=dict)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_once_per_user")]

    def __str__(self):
        return f"{self.key} ({self.endpoint})"


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
