"""Admin for subscribers and deliveries, and the window admin's fan-out progress and email preview.

``WindowNotificationsMixin`` adds the last two to maintenance's window admin; the site (``statuspage/admin.py``)
puts them together and registers the window admin once.
"""

from datetime import UTC

from csp.constants import NONE, SELF, UNSAFE_INLINE
from csp.decorators import csp_replace
from django.contrib import admin, messages
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.clickjacking import xframe_options_sameorigin

from maintenance.csvexport import csv_response
from notifications import subscriptions
from notifications.addresses import address_hash
from notifications.emails import KINDS, preview_message
from notifications.models import Delivery, Subscriber, Suppression


@admin.register(Subscriber)
class SubscriberAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "state",
        "language",
        "timezone",
        "topic_maintenance",
        "topic_incidents",
        "notify_start_end",
        "created_at",
        "confirmed_at",
    ]
    list_filter = ["state", "topic_maintenance", "topic_incidents", "language", "notify_start_end", "regions"]
    search_fields = ["email"]
    readonly_fields = [
        "key",
        "state",
        "state_reason",
        "suppression",
        "confirm_requests",
        "created_at",
        "confirmed_at",
        "updated_at",
    ]
    filter_horizontal = ["regions"]
    actions = ["export_csv", "suppress", "lift_suppression"]
    date_hierarchy = "created_at"

    @admin.action(description=_("Export the selected subscribers as CSV"))
    def export_csv(self, request, queryset):
        header = ["email", "state", "regions", "language", "timezone", "notify_start_end", "created_at", "confirmed_at"]
        rows = (
            [
                subscriber.email,
                subscriber.state,
                " ".join(region.slug for region in subscriber.regions.all()),
                subscriber.language,
                subscriber.timezone,
                int(subscriber.notify_start_end),
                subscriber.created_at.isoformat(),
                subscriber.confirmed_at.isoformat() if subscriber.confirmed_at else "",
            ]
            for subscriber in queryset.prefetch_related("regions").order_by("id")
        )
        return csv_response(f"subscribers-{timezone.now():%Y%m%d-%H%M}.csv", header, rows)

    @admin.display(description=_("suppression"))
    def suppression(self, subscriber):
        return suppression_summary(subscriptions.suppression_of(subscriber))

    @admin.action(description=_("Suppress the selected addresses (send them nothing more)"))
    def suppress(self, request, queryset):
        count = sum(subscriptions.suppress(s, f"suppressed by {request.user.get_username()}") for s in queryset)
        self.message_user(
            request, ngettext("%(n)d address suppressed.", "%(n)d addresses suppressed.", count) % {"n": count}
        )

    @admin.action(description=_("Lift the suppression of the selected addresses"), permissions=["lift"])
    def lift_suppression(self, request, queryset):
        count = 0
        for subscriber in queryset:
            suppression = subscriptions.suppression_of(subscriber)
            if suppression is not None:
                subscriptions.lift_suppression(suppression, request.user.get_username())
                count += 1
        self.message_user(
            request,
            ngettext("%(n)d suppression lifted.", "%(n)d suppressions lifted.", count) % {"n": count},
        )

    def has_lift_permission(self, request):
        return request.user.is_superuser


def suppression_summary(suppression):
    """The suppression and the tracking event that caused it, in one line for the admin; "–" if none."""
    if suppression is None:
        return "–"
    event = suppression.event
    when = f"{suppression.created_at.astimezone(UTC):%Y-%m-%d %H:%M}"
    if event is None:
        return format_html("{} ({} UTC)", suppression.reason, when)
    return format_html(
        "{} ({} UTC): {} event {} “{}”, id {}",
        suppression.reason,
        when,
        event.esp_name,
        event.event_type,
        event.description or event.reject_reason or "–",
        event.event_id,
    )


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    """Addresses that get no more mail, with the event that caused each; only a superuser lifts one."""

    list_display = ["created_at", "reason", "event_type", "event_esp", "event_id_display"]
    list_filter = ["event__event_type", "event__esp_name"]
    list_select_related = ["event"]
    search_fields = ["reason", "event__event_id"]
    fields = ["address_hash", "reason", "created_at", "event_summary", "subscriber"]
    readonly_fields = fields
    actions = ["lift"]

    @admin.display(description=_("event"), ordering="event__event_type")
    def event_type(self, suppression):
        return suppression.event.event_type if suppression.event else "–"

    @admin.display(description=_("ESP"))
    def event_esp(self, suppression):
        return suppression.event.esp_name if suppression.event else "–"

    @admin.display(description=_("event id"))
    def event_id_display(self, suppression):
        return suppression.event.event_id if suppression.event else "–"

    @admin.display(description=_("tracking event"))
    def event_summary(self, suppression):
        return suppression_summary(suppression)

    @admin.display(description=_("subscriber"))
    def subscriber(self, suppression):
        # The address is not stored here; a subscriber still on file is found by its hash (on the detail page only:
        # it reads every suppressed subscriber).
        for candidate in Subscriber.objects.filter(state=Subscriber.State.SUPPRESSED):
            if address_hash(candidate.email) == suppression.address_hash:
                url = reverse("admin:notifications_subscriber_change", args=[candidate.pk])
                return format_html('<a href="{}">{}</a>', url, candidate.email)
        return _("none on file (deleted)")

    @admin.action(description=_("Lift the selected suppressions (mail these addresses again)"), permissions=["lift"])
    def lift(self, request, queryset):
        count = 0
        for suppression in queryset:
            subscriptions.lift_suppression(suppression, request.user.get_username())
            count += 1
        self.message_user(
            request,
            ngettext("%(n)d suppression lifted.", "%(n)d suppressions lifted.", count) % {"n": count},
        )

    def has_lift_permission(self, request):
        return request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # lifting goes through the service, which also brings the subscriber back


def fanout_summary(deliveries):
    """The fan-out progress of these rows per (kind, channel), in the order the kinds are listed: how many were sent,
    wait for their first try (or are being sent), wait to be retried after a failed try, failed for good, or were
    skipped or suppressed; and the latest error of a row still retrying or failed. One query, plus one per group
    with errors."""
    waiting = [Delivery.Status.PENDING, Delivery.Status.SENDING]
    groups = (
        deliveries.order_by()
        .values("kind", "channel")
        .annotate(
            sent=Count("id", filter=Q(status=Delivery.Status.SENT)),
            pending=Count("id", filter=Q(status__in=waiting, attempts=0) | Q(status=Delivery.Status.SENDING)),
            retrying=Count("id", filter=Q(status=Delivery.Status.PENDING, attempts__gt=0)),
            failed=Count("id", filter=Q(status=Delivery.Status.FAILED)),
            other=Count("id", filter=Q(status__in=[Delivery.Status.SKIPPED, Delivery.Status.SUPPRESSED])),
            total=Count("id"),
        )
    )
    order = list(Delivery.Kind.values)
    kinds, channels = dict(Delivery.Kind.choices), dict(Delivery.Channel.choices)
    summary = []
    for group in sorted(groups, key=lambda group: (order.index(group["kind"]), group["channel"])):
        last_error = ""
        if group["retrying"] or group["failed"]:
            failing = Q(status=Delivery.Status.FAILED) | Q(status=Delivery.Status.PENDING, attempts__gt=0)
            last_error = (
                deliveries.filter(failing, kind=group["kind"], channel=group["channel"])
                .exclude(last_error="")
                .order_by("-id")
                .values_list("last_error", flat=True)
                .first()
            ) or ""
        summary.append(
            {
                **group,
                "kind_label": kinds.get(group["kind"], group["kind"]),
                "channel_label": channels.get(group["channel"], group["channel"]),
                "last_error": last_error,
            }
        )
    return summary


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """The outbox, read-only, with the fan-out progress of the rows shown (filter by window, incident, kind,
    channel or status) above the list."""

    list_display = [
        "id",
        "kind",
        "channel",
        "window",
        "incident",
        "subscriber",
        "sequence",
        "lead_minutes",
        "status",
        "attempts",
        "sent_at",
    ]
    list_filter = [
        ("window", admin.RelatedOnlyFieldListFilter),
        ("incident", admin.RelatedOnlyFieldListFilter),
        "kind",
        "channel",
        "status",
    ]
    list_select_related = ["window__region", "incident", "subscriber"]
    search_fields = ["subscriber__email", "esp_message_id"]
    raw_id_fields = ["window", "incident", "incident_update", "subscriber"]
    readonly_fields = [field.name for field in Delivery._meta.fields]
    show_full_result_count = False
    change_list_template = "notifications/admin/delivery_change_list.html"

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            response.context_data["fanout"] = fanout_summary(changelist.queryset)
        return response

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WindowNotificationsMixin:
    """For a window admin: its fan-out progress and email preview, as read-only fields and two preview pages.

    Add ``WINDOW_FIELDS`` to the admin's ``fields`` and ``readonly_fields``.
    """

    WINDOW_FIELDS = ["fanout_progress", "email_preview"]

    def get_urls(self):
        preview = path(
            "<path:object_id>/preview-email/",
            self.admin_site.admin_view(self.preview_view),
            name="maintenance_window_preview_email",
        )
        preview_html = path(
            "<path:object_id>/preview-email/html/",
            self.admin_site.admin_view(self.preview_html_view),
            name="maintenance_window_preview_email_html",
        )
        return [preview_html, preview, *super().get_urls()]

    @admin.display(description=_("Fan-out progress"))
    def fanout_progress(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        counts = obj.deliveries.progress()
        total = sum(counts.values())
        waiting = counts[Delivery.Status.PENDING] + counts[Delivery.Status.SENDING]
        return _(
            "%(sent)d sent, %(pending)d pending, %(failed)d failed (%(other)d skipped or suppressed) of %(total)d"
        ) % {
            "sent": counts[Delivery.Status.SENT],
            "pending": waiting,
            "failed": counts[Delivery.Status.FAILED],
            "other": counts[Delivery.Status.SKIPPED] + counts[Delivery.Status.SUPPRESSED],
            "total": total,
        }

    @admin.display(description=_("Email preview"))
    def email_preview(self, obj):
        if obj is None or obj.pk is None:
            return "–"
        url = reverse("admin:maintenance_window_preview_email", args=[obj.pk])
        links = format_html_join(
            " · ",
            '<a href="{}?kind={}&amp;language={}">{} ({})</a>',
            (
                (url, kind, code, label, code)
                for kind, label in Delivery.Kind.choices
                if kind in Delivery.WINDOW_KINDS
                for code, _label in Subscriber.Language.choices
            ),
        )
        return format_html("{}", links)

    def _preview(self, request, object_id):
        window = self.get_object(request, object_id)
        if window is None or not self.has_view_permission(request, window):
            raise Http404
        kind = request.GET.get("kind", Delivery.Kind.ANNOUNCEMENT)
        language = request.GET.get("language", "en")
        if kind not in KINDS or language not in Subscriber.Language.values:
            messages.error(request, _("Unknown kind or language."))
            kind, language = Delivery.Kind.ANNOUNCEMENT, "en"
        message = preview_message(window, kind, language)
        html = next((content for content, mimetype in message.alternatives if mimetype == "text/html"), "")
        return window, kind, language, message, html

    # The HTML part exactly as sent, framed by the preview page: emails carry inline styles, so this one response
    # allows them, and nothing else (no script, no request to anywhere).
    @method_decorator(xframe_options_sameorigin)
    @method_decorator(
        csp_replace(
            {
                "default-src": [NONE],
                "style-src": [UNSAFE_INLINE],
                "img-src": ["data:"],
                "script-src": [NONE],
                "frame-ancestors": [SELF],
            }
        )
    )
    def preview_html_view(self, request, object_id):
        html = self._preview(request, object_id)[4]
        return HttpResponse(html, content_type="text/html; charset=utf-8")

    def preview_view(self, request, object_id):
        window, kind, language, message, html = self._preview(request, object_id)
        ics = next(
            (part.get_payload(decode=True).decode() for part in message.attachments if hasattr(part, "get_payload")), ""
        )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "window": window,
            "message": message,
            "headers": sorted(message.extra_headers.items()),
            "html": html,
            "html_url": reverse("admin:maintenance_window_preview_email_html", args=[window.pk])
            + f"?kind={kind}&language={language}",
            "ics": ics,
            "kind": kind,
            "kind_label": Delivery.Kind(kind).label,
            "language": language,
            "language_label": dict(Subscriber.Language.choices)[language],
            "kinds": [(kind, label) for kind, label in Delivery.Kind.choices if kind in KINDS],
            "languages": Subscriber.Language.choices,
        }
        return TemplateResponse(request, "notifications/admin/preview.html", context)
