from django.contrib import admin

from maintenance.models import Freeze, Region, Window


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "timezone", "offpeak_start", "window_minutes", "active", "position"]
    list_editable = ["active", "position"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name", "slug", "timezone"]


@admin.register(Window)
class WindowAdmin(admin.ModelAdmin):
    list_display = ["region", "starts_at", "ends_at", "status", "sequence", "origin", "edited_by_hand"]
    list_filter = ["region", "status", "origin"]
    list_select_related = ["region"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "month",
        "origin",
        "status",
        "sequence",
        "actual_start",
        "actual_end",
        "created_at",
        "updated_at",
    ]


@admin.register(Freeze)
class FreezeAdmin(admin.ModelAdmin):
    list_display = ["month", "region", "reason"]
    list_filter = ["region"]
