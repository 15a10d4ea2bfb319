"""Regions, and the months frozen in one region or all."""

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
