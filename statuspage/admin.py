"""The window admin, put together where both apps may be imported: maintenance's lifecycle controls with the
notifications' email preview and fan-out progress. It is registered here once; each app registers only the admins
of the models it alone shows."""

from django.contrib import admin

from maintenance.admin import WindowAdmin
from maintenance.models import Window
from notifications.admin import WindowNotificationsMixin


@admin.register(Window)
class SiteWindowAdmin(WindowNotificationsMixin, WindowAdmin):
    """The window admin: lifecycle actions, reschedule and extend forms, audit trail, fan-out and email preview."""

    fields = [*WindowAdmin.fields, *WindowNotificationsMixin.WINDOW_FIELDS]
    readonly_fields = [*WindowAdmin.readonly_fields, *WindowNotificationsMixin.WINDOW_FIELDS]
