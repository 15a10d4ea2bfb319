"""The release managers' admin. Every change of a window's status or times goes through ``lifecycle``."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maintenance import incidents, lifecycle, rule
from maintenance.models import AuditEvent, Freeze, Incident, IncidentUpdate, Region, Window

MANAGE = "maintenance.manage_windows"


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "offpeak_start", "window_minutes", "active", "position"]
    list_editable = ["active", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug", "timezone"]


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


class RescheduleForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("New start (UTC)"), help_text=_("YYYY-MM-DD HH:MM, in UTC."))
    ends_at = forms.DateTimeField(label=_("New end (UTC)"), help_text=_("1 to 60 minutes after the start."))
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def clean(self):
        data = super().clean()
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", _("The end must come after the start."))
        return data


class ExtendForm(forms.Form):
    minutes = forms.IntegerField(
        label=_("Minutes to add"), min_value=1, max_value=lifecycle.MAX_EXTENSION_MINUTES, initial=15
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


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


def one_line(value):
    """A title is one line: it becomes an email subject, a feed title and a calendar summary."""
    if any(ord(char) < 32 or ord(char) == 127 or char in "\u2028\u2029\u0085" for char in value or ""):
        raise forms.ValidationError(_("A title is one line, without line breaks or control characters."))
    return value


class WindowForm(forms.ModelForm):
    def clean_title(self):
        return one_line(self.cleaned_data.get("title"))


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    form = WindowForm
    list_display = ["region", "month_label", "starts_at", "ends_at", "status", "sequence", "origin", "edited_by_hand"]
    list_filter = ["region", LocalMonthFilter, "status"]
    list_select_related = ["region"]
    date_hierarchy = "starts_at"
    actions = ["announce_windows", "start_windows", "complete_windows", "cancel_windows"]
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
    readonly_fields = [
        name for name in fields if name not in ("title", "release_summary", "auto_start", "auto_complete")
    ]
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

    # --- reschedule and extend forms ---

    def reschedule_view(self, request, object_id):
        def apply(window, data, user):
            return lifecycle.reschedule(window, data["starts_at"], data["ends_at"], actor=user, reason=data["reason"])

        window = get_object_or_404(Window, pk=object_id)
        initial = {"starts_at": window.starts_at, "ends_at": window.ends_at}
        return self._form_view(request, window, RescheduleForm, apply, _("Reschedule"), initial)

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


@admin.register(Freeze)
class FreezeAdmin(admin.ModelAdmin):
    """A frozen month gets no window: planning skips it, and its planned windows are cancelled."""

    list_display = ["month_label", "where", "reason", "created_at"]
    list_filter = [("region", admin.RelatedOnlyFieldListFilter)]
    fields = ["month", "region", "reason"]

    @admin.display(description=_("month"), ordering="month")
    def month_label(self, freeze):
        return f"{freeze.month:%Y-%m}"

    @admin.display(description=_("region"))
    def where(self, freeze):
        return freeze.region.name if freeze.region_id else gettext("All regions")

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        affected = Window.objects.filter(month=obj.month.replace(day=1)).exclude(
            status__in=[Window.Status.CANCELLED, Window.Status.COMPLETED]
        )
        if obj.region_id:
            affected = affected.filter(region=obj.region_id)
        for window in affected.select_related("region"):
            if window.status == Window.Status.PLANNED:
                try:
                    lifecycle.cancel(window, actor=request.user, reason=gettext("Month frozen: %s") % obj)
                except lifecycle.TransitionError as exc:  # it moved on meanwhile
                    self.message_user(request, f"{window}: {exc}", messages.WARNING)
                    continue
                self.message_user(request, gettext("%s: cancelled, the month is frozen.") % window, messages.INFO)
            else:
                self.message_user(
                    request,
                    gettext("%s is already announced or running; cancel it yourself if it must not happen.") % window,
                    messages.WARNING,
                )


class IncidentForm(forms.ModelForm):
    first_update = forms.CharField(
        label=_("First message"),
        widget=forms.Textarea,
        max_length=10000,
        required=False,
        help_text=_("What customers read first. Required when opening an incident."),
    )

    class Meta:
        model = Incident
        fields = ["title", "regions", "impact", "started_at"]

    def clean_title(self):
        return one_line(self.cleaned_data.get("title"))

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


class IncidentUpdateInline(admin.StackedInline):
    """Updates are only added, through ``incidents.post_update``; a status of "resolved" resolves."""

    model = IncidentUpdate
    fields = ["status", "body", "created_at"]
    readonly_fields = ["created_at"]
    extra = 1
    can_delete = False
    ordering = ["-created_at", "-id"]

    def has_change_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields

    def has_add_permission(self, request, obj=None):
        return obj is not None and obj.is_open and super().has_add_permission(request, obj)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    list_display = ["title", "impact", "status", "started_at", "resolved_at", "region_list"]
    list_filter = ["status", "impact", "regions"]
    search_fields = ["title"]
    readonly_fields = ["status", "resolved_at", "trail"]
    inlines = [IncidentUpdateInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["title", "regions", "impact", "started_at", "first_update"]
        return ["title", "regions", "impact", "started_at", "status", "resolved_at", "trail"]

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    @admin.display(description=_("regions"))
    def region_list(self, incident):
        return ", ".join(region.slug for region in incident.regions.all())

    @admin.display(description=_("audit trail"))
    def trail(self, incident):
        events = incident.audit_events.order_by("created_at", "id")
        return (
            format_html_join(
                "\n",
                "<div>{} · {} · {} · {}</div>",
                ((e.created_at, e.actor_label, e.action, e.reason) for e in events),
            )
            or "–"
        )

    def save_model(self, request, obj, form, change):
        if not change:
            incident = incidents.open_incident(
                form.cleaned_data["title"],
                form.cleaned_data["regions"],
                form.cleaned_data["impact"],
                form.cleaned_data["first_update"],
                actor=request.user,
                started_at=form.cleaned_data["started_at"],
            )
            obj.pk = incident.pk
            obj.refresh_from_db()
            return
        before = Incident.objects.get(pk=obj.pk)
        changes = {
            field: [str(getattr(before, field)), str(getattr(obj, field))]
            for field in form.changed_data
            if field in ("title", "impact", "started_at")
        }
        obj.save()
        incidents.record_edit(obj, request.user, changes)

    def save_related(self, request, form, formsets, change):
        if not change:
            return  # open_incident has set the regions and the first update
        before = sorted(form.instance.regions.values_list("slug", flat=True))
        form.save_m2m()
        after = sorted(form.instance.regions.values_list("slug", flat=True))
        if before != after:
            incidents.record_edit(form.instance, request.user, {"regions": [before, after]})
        for formset in formsets:
            self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        for update in formset.save(commit=False):
            try:
                incidents.post_update(form.instance, update.status, update.body, actor=request.user)
            except incidents.IncidentError as exc:
                self.message_user(request, str(exc), messages.WARNING)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the services, never by hand."""

    list_display = ["created_at", "actor_label", "action", "window", "incident", "summary", "reason"]
    list_filter = [
        ("window", admin.RelatedOnlyFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
        "action",
    ]
    list_select_related = ["window__region", "incident"]
    search_fields = ["actor_label", "action", "reason"]
    date_hierarchy = "created_at"

    @admin.display(description=_("changes"))
    def summary(self, event):
        return "; ".join(f"{field}: {old} → {new}" for field, (old, new) in event.changes.items())

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
