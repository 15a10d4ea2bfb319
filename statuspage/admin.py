"""The window admin, put together where both apps may be imported: maintenance's lifecycle controls with the
notifications' email preview and fan-out progress. It is registered here once; each app registers only the admins
of the models it alone shows."""

from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from maintenance.admin import WindowAdmin
from maintenance.models import Window
from notifications.admin import WindowNotificationsMixin
from statuspage.models import ApiToken


@admin.register(Window)
class SiteWindowAdmin(WindowNotificationsMixin, WindowAdmin):
    """The window admin: lifecycle actions, reschedule and extend forms, audit trail, fan-out and email preview."""

    fields = [*WindowAdmin.fields, *WindowNotificationsMixin.WINDOW_FIELDS]
    readonly_fields = [*WindowAdmin.readonly_fields, *WindowNotificationsMixin.WINDOW_FIELDS]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Pipeline tokens: who holds each, its visible prefix, when it expires and when it was last used. Only the hash
    is stored, so no key can be shown; ``manage.py api_token`` makes new ones. Revoking deletes the token."""

    list_display = ["token_key", "user", "name", "created", "expiry", "last_used_at", "state"]
    list_filter = ["user"]
    search_fields = ["token_key", "user__username", "name"]
    fields = ["token_key", "user", "name", "created", "expiry", "last_used_at"]
    readonly_fields = ["token_key", "user", "created", "expiry", "last_used_at"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # a key is shown once, by `manage.py api_token`

    @admin.display(description=_("state"))
    def state(self, token):
        return _("expired") if token.expiry and token.expiry <= timezone.now() else _("active")

    @admin.action(description=_("Revoke the selected tokens"), permissions=["delete"])
    def revoke(self, request, queryset):
        count, _deleted = queryset.delete()
        self.message_user(
            request,
            ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count},
            messages.SUCCESS,
        )
