"""The window admin, put together where both apps may be imported: maintenance's lifecycle controls with the
notifications' email preview and fan-out progress. It is registered here once; each app registers only the admins
of the models it alone shows."""

from django.conf import settings
from django.contrib import admin
from django.utils.functional import lazy
from django.utils.translation import gettext

from maintenance.admin import WindowAdmin
from maintenance.models import Window
from notifications.admin import WindowNotificationsMixin


@admin.register(Window)
class SiteWindowAdmin(WindowNotificationsMixin, WindowAdmin):
    """The window admin: lifecycle actions, reschedule and extend forms, audit trail, fan-out and email preview."""

    fields = [*WindowAdmin.fields, *WindowNotificationsMixin.WINDOW_FIELDS]
    readonly_fields = [*WindowAdmin.readonly_fields, *WindowNotificationsMixin.WINDOW_FIELDS]


def _site_name(template):
    return lazy(lambda: gettext(template) % {"site": settings.SITE_NAME}, str)()


# The admin is titled with the site's name, read when a page is drawn (never at import).
admin.site.site_header = _site_name("%(site)s administration")
admin.site.site_title = _site_name("%(site)s admin")
admin.site.index_title = _site_name("%(site)s: release windows, incidents and subscribers")
