"""The admin's forms: the window's text, its reschedule and extend forms, and opening or editing an incident."""

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maintenance import bounds, dates, exclusions, intervals, sla
from maintenance.models import Incident, SlaExclusion
from maintenance.validators import validate_one_line_title


class WindowForm(forms.ModelForm):
    def clean_title(self):
        return validate_one_line_title(self.cleaned_data.get("title"))


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("New start (UTC)"), help_text=_("YYYY-MM-DD HH:MM, in UTC."))
    ends_at = forms.DateTimeField(label=_("New end (UTC)"), help_text=_("1 to 60 minutes after the start."))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    count_weekday = forms.BooleanField(
        label=_("Reschedule to a weekday anyway"),
        required=False,
        help_text=_("The SLA excludes only maintenance scheduled at the weekend: weekday minutes count as downtime."),
    )

    def __init__(self, *args, window=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.window = window

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must come after the start."))
            return data
        if data.get("starts_at") and data.get("ends_at") and not data.get("count_weekday"):
            self._warn_weekday(data["starts_at"], data["ends_at"])
        return data

    def _warn_weekday(self, starts_at, ends_at):
        """A window moved (partly) off the local weekend counts against the SLA: say so, and ask to confirm."""
        if self.window is None or settings.SLA_EXCLUDED_MAINTENANCE != sla.WEEKEND:
            return
        zone = self.window.region.zone
        weekend = intervals.total(sla.weekend_parts((starts_at, ends_at), zone))
        counted = int((ends_at - starts_at - weekend).total_seconds() // 60)
        if counted > 0:
            local = starts_at.astimezone(zone)
            self.add_error(
                "count_weekday",
                _(
                    "%(counted)s minutes of this window fall on a weekday in %(region)s's local time "
                    "(it would start %(local)s): they will count as downtime against the SLA. "
                    "Tick the box to reschedule anyway."
                )
                % {
                    "counted": counted,
                    "region": self.window.region,
                    "local": f"{dates.weekday(local)} {local:%Y-%m-%d %H:%M %Z}",
                },
            )


class ExtendForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes to add"), min_value=1, max_value=bounds.MAX_EXTENSION_MINUTES, initial=15
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class IncidentForm(forms.ModelForm):
    first_update = forms.CharField(
        label=_("First message"),
        widget=forms.Textarea,
        max_length=10000,
        required=False,
        help_text=_("What customers read first. Required when opening an incident."),
    )
    first_update_notifies = forms.BooleanField(
        label=_("Notify subscribers"),
        required=False,
        initial=True,
        help_text=_("Untick to open the incident on the status page without sending subscribers a notice."),
    )

    class Meta:
        model = Incident
        fields = ["title", "regions", "impact", "started_at"]

    def clean_title(self):
        return validate_one_line_title(self.cleaned_data.get("title"))

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not data.get("first_update"):
            self.add_error("first_update", _("Write what customers should read first."))
        started_at = data.get("started_at")
        if started_at and started_at > timezone.now():
            self.add_error("started_at", _("An incident cannot start in the future."))
        elif started_at and self.instance.resolved_at and started_at > self.instance.resolved_at:
            self.add_error("started_at", _("An incident cannot start after it was resolved."))
        return data


class SlaExclusionForm(forms.ModelForm):
    """One exclusion in the incident's inline; the span and reason are checked by ``exclusions.check``."""

    class Meta:
        model = SlaExclusion
        fields = ["category", "starts_at", "ends_at", "reason", "publish_reason"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_at"].required = False
        self.fields["starts_at"].help_text = _("Leave empty: from the incident's start.")

    def clean(self):
        data = super().clean()
        incident = getattr(self.instance, "incident", None)
        if self.instance.pk is None and incident is not None and not self.errors:
            try:
                reason, starts_at, _ends_at = exclusions.check(
                    incident,
                    data.get("category"),
                    data.get("reason"),
                    data.get("starts_at"),
                    data.get("ends_at"),
                    timezone.now(),
                )
            except exclusions.ExclusionError as exc:
                self.add_error(exc.field, str(exc))
            else:
                data["reason"], data["starts_at"] = reason, starts_at
                self.instance.starts_at = starts_at
        return data
