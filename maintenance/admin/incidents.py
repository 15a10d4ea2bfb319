"""Incidents and the audit log. Every change of an incident goes through ``maintenance.incidents``."""

from django.contrib import admin, messages
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from maintenance import exclusions, incidents
from maintenance.admin.display import changes_text, instant
from maintenance.admin.forms import IncidentForm, SlaExclusionForm
from maintenance.models import AuditEvent, Incident, IncidentUpdate, SlaExclusion


class IncidentUpdateInline(admin.StackedInline):
    """Updates are only added, through ``incidents.post_update``; a status of "resolved" resolves. Unticking "notify
    subscribers" posts the update without a notice (Statuspage's ``deliver_notifications: false``)."""

    model = IncidentUpdate
    fields = ["status", "body", "deliver_notifications", "created_at"]
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


class SlaExclusionInline(admin.TabularInline):
    """Incident time set aside from the SLA; added and deleted (revoked) through ``exclusions``, never edited.

    Only users with the dedicated permission see it at all: not every release manager decides what the SLA excuses.
    """

    model = SlaExclusion
    form = SlaExclusionForm
    fields = ["category", "starts_at", "ends_at", "reason", "publish_reason", "created_at"]
    readonly_fields = ["created_at"]
    extra = 0
    verbose_name_plural = _("SLA exclusions (authorised people only)")

    def _allowed(self, request):
        return request.user.has_perm(exclusions.PERMISSION)

    def has_view_permission(self, request, obj=None):
        return self._allowed(request)

    def has_add_permission(self, request, obj=None):
        return self._allowed(request)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return self._allowed(request)


@admin.register(Incident)
class IncidentAdmin(admin.ModelAdmin):
    form = IncidentForm
    list_display = ["title", "impact", "status", "started_at", "resolved_at", "region_list", "source"]
    list_filter = ["status", "impact", "regions", "source"]
    search_fields = ["title"]
    readonly_fields = ["status", "resolved_at", "source", "trail"]
    inlines = [IncidentUpdateInline, SlaExclusionInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("regions")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["title", "regions", "impact", "started_at", "first_update", "first_update_notifies"]
        return ["title", "regions", "impact", "started_at", "status", "resolved_at", "source", "trail"]

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
                ((instant(e.created_at), e.actor_label, e.action, e.reason) for e in events),
            )
            or "–"
        )

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if not change:
            incident = incidents.open_incident(
                data["title"],
                data["regions"],
                data["impact"],
                data["first_update"],
                actor=request.user,
                started_at=data["started_at"],
                deliver_notifications=data["first_update_notifies"],
            )
            obj.pk = incident.pk
        else:
            fields = {name: data[name] for name in ("title", "impact", "started_at", "regions")}
            try:
                incidents.edit(obj, actor=request.user, **fields)
            except incidents.IncidentError as exc:  # the incident moved on since the form was shown
                self.message_user(request, str(exc), messages.WARNING)
        obj.refresh_from_db()

    def save_related(self, request, form, formsets, change):
        # open_incident and edit have set the regions (and the first update); updates are added, never edited.
        if change:
            for formset in formsets:
                self.save_formset(request, form, formset, change)

    def save_formset(self, request, form, formset, change):
        if formset.model is SlaExclusion:
            return self._save_exclusions(request, form, formset)
        for update in formset.save(commit=False):
            try:
                incidents.post_update(
                    form.instance,
                    update.status,
                    update.body,
                    actor=request.user,
                    deliver_notifications=update.deliver_notifications,
                )
            except incidents.IncidentError as exc:
                self.message_user(request, str(exc), messages.WARNING)

    def _save_exclusions(self, request, form, formset):
        # What the admin's own change message reads; the service did the writing.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for removed in formset.deleted_forms:
            if removed.instance.pk is not None:
                try:
                    exclusions.revoke(removed.instance, actor=request.user)
                except exclusions.ExclusionError as exc:  # someone else revoked it a moment ago
                    self.message_user(request, str(exc), messages.WARNING)
                else:
                    formset.deleted_objects.append(removed.instance)
        for added in formset.extra_forms:
            if not added.has_changed() or added in formset.deleted_forms:
                continue
            data = added.cleaned_data
            try:
                exclusion = exclusions.exclude(
                    form.instance,
                    data["category"],
                    data["reason"],
                    starts_at=data.get("starts_at"),
                    ends_at=data.get("ends_at"),
                    publish_reason=data.get("publish_reason", False),
                    actor=request.user,
                )
            except exclusions.ExclusionError as exc:  # the incident changed since the form was shown
                self.message_user(request, str(exc), messages.WARNING)
            else:
                formset.new_objects.append(exclusion)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """Read-only: the audit log is written by the services, never by hand."""

    list_display = ["when", "actor_label", "action", "window", "incident", "summary", "reason"]
    fields = ["when", "actor_label", "action", "window", "incident", "summary", "reason"]
    readonly_fields = fields
    list_filter = [
        ("window", admin.RelatedOnlyFieldListFilter),
        ("actor", admin.RelatedOnlyFieldListFilter),
        "action",
    ]
    list_select_related = ["window__region", "incident"]
    search_fields = ["actor_label", "action", "reason"]
    date_hierarchy = "created_at"

    @admin.display(description=_("when"), ordering="created_at")
    def when(self, event):
        return instant(event.created_at)

    @admin.display(description=_("changes"))
    def summary(self, event):
        return changes_text(event.changes)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
