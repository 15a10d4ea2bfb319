"""The window admin. Every change of a window's status or times goes through ``lifecycle``.

``WindowAdmin`` is registered by the site (``statuspage/admin.py``), which adds the notifications' features to it.
"""

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maintenance import editing, lifecycle, rule, zonerules
from maintenance.admin.forms import ExtendForm, RescheduleForm, WindowForm
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
    fields = ["created_at", "actor_label", "action", "changes", "reason"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    extra = 0
    can_delete = False
    verbose_name = _("audit event")
    verbose_name_plural = _("audit trail")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


class WindowAdmin(admin.ModelAdmin):
    form = WindowForm
    list_display = ["region", "month_label", "starts_at", "ends_at", "status", "sequence", "origin", "edited_by_hand"]
    list_filter = ["region", LocalMonthFilter, "status"]
    list_select_related = ["region"]
    date_hierarchy = "starts_at"
    actions = ["announce_windows", "start_windows", "complete_windows", "cancel_windows", "follow_zone_rules"]
    fields = [
        "region",
        "month",
        "origin",
        "status",
        "sequence",
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
    # Status and times change only through the lifecycle (the actions and the reschedule/extend forms).
    readonly_fields = [name for name in fields if name not in editing.EDITABLE]
    inlines = [AuditTrailInline]

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, window):
        return f"{window.month:%Y-%m}"

    def has_add_permission(self, request):
        # Windows come from the rule (plan_windows); their times change only through the lifecycle.
        return False

    def has_manage_permission(self, request):
        return request.user.has_perm(MANAGE)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/reschedule/",
                self.admin_site.admin_view(self.reschedule_view),
                name="maintenance_window_reschedule",
            ),
            path(
                "<int:object_id>/extend/",
                self.admin_site.admin_view(self.extend_view),
                name="maintenance_window_extend",
            ),
            *super().get_urls(),
        ]

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
        extra_context = {**(extra_context or {}), "can_manage": self.has_manage_permission(request)}
        response = super().change_view(request, object_id, form_url, extra_context)
        if request.method == "POST" and getattr(response, "context_data", {}).get("errors"):
            response.status_code = 400  # the form is shown again with its errors: nothing was saved
        return response

    def save_model(self, request, obj, form, change):
        # The text and the flags go through the editing service, which writes the audit event.
        changes = {name: form.cleaned_data[name] for name in form.changed_data if name in editing.EDITABLE}
        editing.edit_window(obj, actor=request.user, **changes)

    # --- actions: each window is reported on its own; a refusal never stops the others ---

    def _run_action(self, request, queryset, transition):
        for window in queryset.select_related("region"):
            try:
                outcome = transition(window, actor=request.user)
            except lifecycle.TransitionError as exc:
                self.message_user(request, f"{window}: {exc}", messages.WARNING)
            else:
                level = messages.SUCCESS if outcome.changed else messages.INFO
                self.message_user(request, f"{window}: {outcome.message}", level)

    @admin.action(description=_("Announce the selected windows"), permissions=["manage"])
    def announce_windows(self, request, queryset):
        self._run_action(request, queryset, lifecycle.announce)

    @admin.action(description=_("Start the selected windows"), permissions=["manage"])
    def start_windows(self, request, queryset):
        self._run_action(request, queryset, lifecycle.start)

    @admin.action(description=_("Complete the selected windows"), permissions=["manage"])
    def complete_windows(self, request, queryset):
        self._run_action(request, queryset, lifecycle.complete)

    @admin.action(description=_("Cancel the selected windows"), permissions=["manage"])
    def cancel_windows(self, request, queryset):
        self._run_action(request, queryset, lifecycle.cancel)

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

    # --- reschedule and extend forms ---

    def reschedule_view(self, request, object_id):
        def apply(window, data, user):
            return lifecycle.reschedule(window, data["starts_at"], data["ends_at"], actor=user, reason=data["reason"])

        window = get_object_or_404(Window.objects.select_related("region"), pk=object_id)
        initial = {"starts_at": window.starts_at, "ends_at": window.ends_at}
        form_class = partial(RescheduleForm, window=window)
        return self._form_view(request, window, form_class, apply, _("Reschedule"), initial)

    def extend_view(self, request, object_id):
        def apply(window, data, user):
            return lifecycle.extend(window, data["minutes"], actor=user, reason=data["reason"])

        window = get_object_or_404(Window, pk=object_id)
        return self._form_view(request, window, ExtendForm, apply, _("Extend"), {})

    def _form_view(self, request, window, form_class, apply, verb, initial):
        if not self.has_manage_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    outcome = apply(window, form.cleaned_data, request.user)
                except lifecycle.TransitionError as exc:
                    form.add_error(None, str(exc))
                else:
                    level = messages.SUCCESS if outcome.changed else messages.INFO
                    self.message_user(request, f"{window}: {outcome.message}", level)
                    return HttpResponseRedirect(reverse("admin:maintenance_window_change", args=[window.pk]))
        else:
            form = form_class(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": window,
            "title": f"{verb}: {window}",
            "form": form,
            "verb": verb,
            "has_view_permission": True,
        }
        # A form shown again with its errors is a refused request: 400, so scripts and proxies see it failed.
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/maintenance/window/lifecycle_form.html", context, status=status)
