"""Regions and frozen months. Freezing a month goes through ``planning.freeze``, lifting it through ``planning.lift``.

A new freeze is saved only after a page has said what it will do (``planning.preview``); the delete page says
which windows lifting will plan again and which stay cancelled.
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maintenance import planning
from maintenance.models import Freeze, Region


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "offpeak_start", "window_minutes", "active", "position"]
    list_editable = ["active", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug", "timezone"]


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

    def get_actions(self, request):
        # Lifting goes through a freeze's own delete page, which says what lifting will restore.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_readonly_fields(self, request, obj=None):
        # A freeze is lifted (deleted) and made anew rather than moved, so lifting can restore what it cancelled.
        return ["month", "region"] if obj is not None else []

    def add_view(self, request, form_url="", extra_context=None):
        if request.method == "POST" and "confirm" not in request.POST:
            form = self.get_form(request, None, change=False)(request.POST)
            if form.is_valid():
                frozen = form.save(commit=False)
                return self._confirm(request, frozen, planning.preview(frozen))
        return super().add_view(request, form_url, extra_context)

    def _confirm(self, request, frozen, outcomes):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Freeze %s?") % frozen,
            "freeze": frozen,
            "outcomes": outcomes,
            "data": [(name, value) for name, value in request.POST.items() if name != "csrfmiddlewaretoken"],
        }
        return TemplateResponse(request, "admin/maintenance/freeze/confirm_freeze.html", context)

    def save_model(self, request, obj, form, change):
        for outcome in planning.freeze(obj, actor=request.user):
            self.message_user(request, outcome.message, messages.INFO if outcome.cancelled else messages.WARNING)

    def render_delete_form(self, request, context):
        freeze = context.get("object")
        if freeze is not None:
            context["lift_outcomes"] = planning.lift(freeze, dry_run=True)
        return super().render_delete_form(request, context)

    def delete_model(self, request, obj):
        for outcome in planning.lift(obj, actor=request.user):
            self.message_user(request, outcome.message, messages.INFO if outcome.restored else messages.WARNING)
