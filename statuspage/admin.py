"""The window admin, put together where both apps may be imported: maintenance's lifecycle controls and release-night
page with the notifications' email preview and fan-out progress. It is registered here once; each app registers only
the admins of the models it alone shows."""

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from endpoints.progress import window_progress
from maintenance.admin import WindowAdmin
from maintenance.admin.night import ReleaseNightMixin
from maintenance.models import Window
from notifications.admin import WindowNotificationsMixin
from notifications.models import Delivery
from statuspage.models import ApiToken


@admin.register(Window)
class SiteWindowAdmin(ReleaseNightMixin, WindowNotificationsMixin, WindowAdmin):
    """The window admin: lifecycle actions, reschedule and extend forms, audit trail, fan-out and email preview, and
    the release-night page with the notices' delivery progress."""

    fields = [*WindowAdmin.fields, *WindowNotificationsMixin.WINDOW_FIELDS]
    readonly_fields = [*WindowAdmin.readonly_fields, *WindowNotificationsMixin.WINDOW_FIELDS]

    def notice_progress(self, windows):
        """Per window, per kind of notice (in the order the kinds are sent): how many of its deliveries were sent,
        are waiting, failed, or were skipped or suppressed; then the same for the webhooks and chat messages about
        the window. Three queries for all the windows."""
        counts = {}
        rows = (
            Delivery.objects.filter(window__in=[window.pk for window in windows])
            .values("window_id", "kind", "status")
            .annotate(n=Count("id"))
            .order_by()
        )
        for row in rows:
            kinds = counts.setdefault(row["window_id"], {})
            kinds.setdefault(row["kind"], dict.fromkeys(Delivery.Status.values, 0))[row["status"]] = row["n"]
        order = list(Delivery.Kind.values)
        labels = dict(Delivery.Kind.choices)
        progress = {}
        for window_id, kinds in counts.items():
            progress[window_id] = [
                {
                    "kind": kind,
                    "label": str(labels[kind]),
                    "sent": by_status[Delivery.Status.SENT],
                    "pending": by_status[Delivery.Status.PENDING] + by_status[Delivery.Status.SENDING],
                    "failed": by_status[Delivery.Status.FAILED],
                    "other": by_status[Delivery.Status.SKIPPED] + by_status[Delivery.Status.SUPPRESSED],
                    "total": sum(by_status.values()),
                }
                for kind, by_status in sorted(kinds.items(), key=lambda item: order.index(item[0]))
            ]
        for window_id, rows in window_progress(windows).items():
            progress.setdefault(window_id, []).extend(rows)  # then the webhooks and chat messages about it
        return progress


def _site_name(template):
    return lazy(lambda: gettext(template) % {"site": settings.SITE_NAME}, str)()


# The admin is titled with the site's name, read when a page is drawn (never at import).
admin.site.site_header = _site_name("%(site)s administration")
admin.site.site_title = _site_name("%(site)s admin")
admin.site.index_title = _site_name("%(site)s: release windows, incidents and subscribers")


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
