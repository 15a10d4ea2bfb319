"""Regions and frozen months. Freezing a month goes through ``planning.freeze``."""

from django.contrib import admin, messages
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

    def save_model(self, request, obj, form, change):
        for outcome in planning.freeze(obj, actor=request.user):
            self.message_user(request, outcome.message, messages.INFO if outcome.cancelled else messages.WARNING)
