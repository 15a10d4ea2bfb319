"""The window admin. Every change of a window's status or times goes through ``lifecycle``.

``WindowAdmin`` is registered by the site (``statuspage/admin.py``), which adds the notifications' features to it.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maintenance import editing, lifecycle, rule, zonerules
from maintenance.admin.controls import (
    CONTROLS,
    ReasonForm,
    StartForm,
    announce_notes,
    cancel_notes,
    controls_for,
    start_notes,
)
from maintenance.admin.display import changes_text, instant, local_span, utc_span
from maintenance.admin.forms import WindowForm
from maintenance.admin.release import ReleaseTextsMixin
from maintenance.admin.window_buttons import WindowButtonsMixin
from maintenance.models import AuditEvent, Window

MANAGE = "maintenance.manage_windows"


class LocalMonthFilter(admin.SimpleListFilter):
    """The region's local month a window serves (``Window.month``), newest first."""

    title = _("month")
    parameter_name = "month"

    def lookups(self, request, model_admin):
        return [(f"{day:%Y-%m}", f"{day:%Y-%m}") for day in Window.objects.dates("month", "month", order="DESC")]

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        try:
            month = rule.Month.parse(self.value())
        except ValueError:
            return queryset.none()
        return queryset.filter(month=month.first_day)


class AuditTrailInline(admin.TabularInline):
    """The window's audit trail, oldest first; nobody can add, change or delete it."""

    model = AuditEvent
    fk_name = "window"
    fields = ["when", "actor_label", "action", "what_changed", "reason"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    can_delete = False
    verbose_name = _("audit event")
    verbose_name_plural = _("audit trail")

    @admin.display(description=_("when"))
    def when(self, event):
        return instant(event.created_at)

    @admin.display(description=_("changes"))
    def what_changed(self, event):
        return changes_text(event.changes)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def summary_field(code):
    return f"release_summary_{code}"


def other_languages():
    """The site's languages besides English, whose release summaries are kept as translations."""
    return [(code, name) for code, name in settings.LANGUAGES if code != "en"]


def overlaps(windows):
    """Pairs of windows of different regions whose times overlap; ``windows`` sorted by start."""
    pairs = []
    active = []
    for window in windows:
        active = [other for other in active if other.ends_at > window.starts_at]
        pairs.extend((other, window) for other in active if other.region_id != window.region_id)
        active.append(window)
    return pairs


def warn_overlaps(request, windows):
    for first, second in overlaps(windows):
        messages.warning(
            request,
            gettext("%(first)s and %(second)s overlap: two regions would be in maintenance at the same time.")
            % {"first": first, "second": second},
        )


def warn_zone_rules(request):
    """Announced windows whose local time new time-zone data moved: never moved silently, so say it here."""
    for shift in zonerules.find(timezone.now()):
        if shift.movable:
            continue  # the daily check moves it through the lifecycle
        messages.warning(
            request,
            gettext(
                'Time-zone rules changed: %(window)s. Select it and run "Keep the announced local time" to '
                "reschedule it (subscribers get the rescheduled notice)."
            )
            % {"window": zonerules.describe(shift)},
        )


class WindowAdmin(WindowButtonsMixin, ReleaseTextsMixin, admin.ModelAdmin):
    form = WindowForm
    list_display = [
        "region",
        "month_label",
        "region_time",
        "utc_time",
        "title_label",
        "status",
        "sequence",
        "origin",
        "edited_by_hand",
    ]
    list_filter = ["region", LocalMonthFilter, "status"]
    list_select_related = ["region"]
    date_hierarchy = "starts_at"
    actions = [
        "announce_windows",
        "start_windows",
        "complete_windows",
        "cancel_windows",
        "set_release_texts",
        "follow_zone_rules",
    ]
    fields = [
        "region",
        "month",
        "origin",
        "status",
        "sequence",
        "region_time",
        "utc_time",
        "starts_at",
        "ends_at",
        "announced_at",
        "announced_ends_at",
        "actual_start",
        "actual_end",
        "edited_by_hand",
        "title",
        "release_summary",
        "auto_start",
        "auto_complete",
        "created_at",
        "updated_at",
    ]
    # Status and times change only through the lifecycle (the actions and the buttons on a window's page).
    readonly_fields = [name for name in fields if name not in editing.EDITABLE]
    inlines = [AuditTrailInline]

    @admin.display(description=_("region's time"), ordering="starts_at")
    def region_time(self, window):
        return local_span(window)

    @admin.display(description=_("UTC"), ordering="starts_at")
    def utc_time(self, window):
        return utc_span(window)

    @admin.display(description=_("title"), ordering="title")
    def title_label(self, window):
        return window.title or "—"

    def get_fields(self, request, obj=None):
        # The release summary in each of the site's other languages follows the English one.
        fields = list(super().get_fields(request, obj))
        at = fields.index("release_summary") + 1 if "release_summary" in fields else len(fields)
        fields[at:at] = [summary_field(code) for code, _name in other_languages()]
        return fields

    def get_form(self, request, obj=None, change=False, **kwargs):
        translations = getattr(obj, "release_summary_translations", None) or {}
        declared = {
            summary_field(code): forms.CharField(
                label=gettext("Release summary (%(language)s)") % {"language": name},
                widget=forms.Textarea(attrs={"rows": 4}),
                required=False,
                max_length=20000,
                initial=translations.get(code, ""),
                help_text=gettext("Empty: subscribers and visitors in this language read the English summary."),
            )
            for code, name in other_languages()
        }
        kwargs["form"] = type("WindowTextsForm", (kwargs.get("form", self.form),), declared)
        return super().get_form(request, obj, change, **kwargs)

    def save_model(self, request, obj, form, change):
        """The texts and the automatic flags go through ``editing.edit_window``, which audits what changed."""
        data = form.cleaned_data
        changes = {name: data[name] for name in editing.EDITABLE if name in data}
        changes["release_summary_translations"] = {
            code: text for code, _name in other_languages() if (text := data.get(summary_field(code), "").strip())
        }
        editing.edit_window(obj, actor=request.user, **changes)

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, window):
        return f"{window.month:%Y-%m}"

    def has_add_permission(self, request):
        # Windows come from the rule (plan_windows); their times change only through the lifecycle.
        return False

    def has_manage_permission(self, request):
        return request.user.has_perm(MANAGE)

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            upcoming = Window.objects.upcoming(timezone.now()).select_related("region").order_by("starts_at", "id")
            warn_overlaps(request, upcoming)
            warn_zone_rules(request)
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        window = self.get_object(request, object_id)
        if window is not None and request.method == "GET":
            others = (
                Window.objects.exclude(status=Window.Status.CANCELLED)
                .exclude(region=window.region_id)
                .filter(starts_at__lt=window.ends_at, ends_at__gt=window.starts_at)
                .select_related("region")
            )
            if window.status != Window.Status.CANCELLED:
                for other in others:
                    warn_overlaps(request, sorted([window, other], key=lambda w: (w.starts_at, w.pk)))
        extra_context = {
            **(extra_context or {}),
            "can_manage": self.has_manage_permission(request),
            "controls": controls_for(window) if window is not None else [],
        }
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and getattr(response, "context_data", {}).get("errors"):
            response.status_code = 400  # the form is shown again with its errors: nothing was saved
        return response

    # --- actions: each window is reported on its own; a refusal never stops the others ---

    def _run_action(self, request, windows, transition, **options):
        for window in windows:
            try:
                outcome = transition(window, actor=request.user, **options)
            except lifecycle.TransitionError as exc:
                self.message_user(request, f"{window}: {exc}", messages.WARNING)
            else:
                level = messages.SUCCESS if outcome.changed else messages.INFO
                self.message_user(request, f"{window}: {outcome.message}", level)

    def _ask_first(self, request, windows, action, verb, notes, form=None):
        """The page a bulk action shows before it runs: what it will do, and the confirmation it needs."""
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("%(verb)s %(count)s windows?") % {"verb": verb, "count": len(windows)},
            "windows": windows,
            "notes": notes,
            "form": form,
            "action": action,
            "verb": verb,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        status = 400 if form is not None and form.is_bound else 200
        return TemplateResponse(request, "admin/maintenance/window/confirm_action.html", context, status=status)

    @admin.action(description=_("Announce the selected windows"), permissions=["manage"])
    def announce_windows(self, request, queryset):
        windows = list(queryset.select_related("region"))
        notes = announce_notes(windows)
        if notes and "confirm" not in request.POST:
            return self._ask_first(request, windows, "announce_windows", CONTROLS["announce"][0], notes)
        self._run_action(request, windows, lifecycle.announce)
        return None

    @admin.action(description=_("Start the selected windows"), permissions=["manage"])
    def start_windows(self, request, queryset):
        windows = list(queryset.select_related("region"))
        notes = start_notes(windows, timezone.now())
        if not notes:
            self._run_action(request, windows, lifecycle.start)
            return None
        form = StartForm(request.POST if "confirm" in request.POST else None, early=True)
        if not form.is_bound or not form.is_valid():
            return self._ask_first(request, windows, "start_windows", CONTROLS["start"][0], notes, form)
        self._run_action(
            request, windows, lifecycle.start, force=form.cleaned_data["force"], reason=form.cleaned_data["reason"]
        )
        return None

    @admin.action(description=_("Complete the selected windows"), permissions=["manage"])
    def complete_windows(self, request, queryset):
        self._run_action(request, queryset.select_related("region"), lifecycle.complete)

    @admin.action(description=_("Cancel the selected windows"), permissions=["manage"])
    def cancel_windows(self, request, queryset):
        windows = list(queryset.select_related("region"))
        notes = cancel_notes(windows)
        form = ReasonForm(request.POST if "confirm" in request.POST else None)
        if notes and (not form.is_bound or not form.is_valid()):
            return self._ask_first(request, windows, "cancel_windows", CONTROLS["cancel"][0], notes, form)
        reason = form.cleaned_data["reason"] if form.is_bound and form.is_valid() else ""
        self._run_action(request, windows, lifecycle.cancel, reason=reason)
        return None

    @admin.action(description=_("Keep the announced local time (time-zone rules changed)"), permissions=["manage"])
    def follow_zone_rules(self, request, queryset):
        """Reschedule each selected window whose local time new zone data moved; announced ones tell subscribers.

        Customers cannot be un-told, so it first shows what it will do and asks.
        """
        if request.POST.get("confirm") == "yes":
            return self._run_action(request, queryset, zonerules.realign)
        windows = list(queryset.select_related("region").order_by("starts_at", "id"))
        shifts = [(window, zonerules.shift_of(window) if window.local_zone else None) for window in windows]
        shifts = [(window, zonerules.describe(shift) if shift else "") for window, shift in shifts]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Keep the announced local time?"),
            "shifts": shifts,
            "action": "follow_zone_rules",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/maintenance/window/zone_rules_confirm.html", context)
