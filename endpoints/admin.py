"""Admin for webhook subscriptions, chat channels and the endpoint outbox (with one view of its progress)."""

from django import forms
from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from endpoints import subscriptions
from endpoints.models import Channel, EndpointDelivery, WebhookSubscription
from endpoints.outbox import STREAM_KINDS
from endpoints.progress import endpoint_progress


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    """Customers subscribe through the API; here operators see each endpoint's health and enable it again."""

    list_display = ["url", "owner_email", "state", "topic_list", "failing_since", "last_error", "created_at"]
    list_filter = ["state", "maintenance", "incidents", "regions"]
    search_fields = ["url", "owner_email"]
    fields = [
        "url",
        "owner_email",
        "regions",
        "maintenance",
        "incidents",
        "state",
        "state_reason",
        "failing_since",
        "failure_streak",
        "last_error",
        "created_at",
        "confirmed_at",
        "disabled_at",
    ]
    readonly_fields = [name for name in fields if name not in {"regions", "maintenance", "incidents"}]
    filter_horizontal = ["regions"]
    actions = ["reenable"]

    def has_add_permission(self, request):
        return False  # the owner subscribes (POST /api/v1/webhooks/) and confirms by email

    @admin.display(description=_("topics"))
    def topic_list(self, subscription):
        return ", ".join(subscription.topics)

    @admin.action(description=_("Enable the selected disabled subscriptions again"), permissions=["change"])
    def reenable(self, request, queryset):
        count = sum(subscriptions.reenable(subscription) for subscription in queryset)
        self.message_user(
            request,
            ngettext("%(count)d subscription enabled.", "%(count)d subscriptions enabled.", count) % {"count": count},
            messages.SUCCESS,
        )


class ChannelForm(forms.ModelForm):
    """The apprise URL is written here and never shown again: it is stored encrypted, and the admin shows only its
    scheme."""

    url = forms.CharField(
        label=_("apprise URL"),
        required=False,
        max_length=2000,
        widget=forms.PasswordInput(render_value=False, attrs={"size": 80, "autocomplete": "off"}),
        help_text=_(
            "For example slack://TokenA/TokenB/TokenC/#channel, msteams://..., discord://..., ntfy://topic. "
            "Stored encrypted and never shown again; leave empty to keep the current one."
        ),
    )

    class Meta:
        model = Channel
        fields = ["name", "url", "regions", "maintenance", "incidents", "active"]

    def clean_url(self):
        url = (self.cleaned_data.get("url") or "").strip()
        if not url and not self.instance.pk:
            raise forms.ValidationError(_("Enter the channel's apprise URL."), code="required")
        if url:
            try:
                subscriptions.set_channel_url(self.instance, url)
            except ValueError:
                raise forms.ValidationError(
                    _("apprise cannot parse this URL; see the apprise wiki for the service's URL format."),
                    code="invalid",
                ) from None
        return ""  # the form keeps no copy of the URL: the instance has it encrypted


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    form = ChannelForm
    list_display = ["name", "url_hint", "service", "active", "topic_list", "created_at"]
    list_filter = ["active", "maintenance", "incidents", "regions"]
    search_fields = ["name"]
    readonly_fields = ["url_hint", "service", "created_at"]
    filter_horizontal = ["regions"]
    actions = ["send_test_message"]

    def get_fields(self, request, obj=None):
        fields = ["name", "url", "regions", "maintenance", "incidents", "active"]
        return fields + (["url_hint", "service", "created_at"] if obj else [])

    @admin.display(description=_("topics"))
    def topic_list(self, channel):
        return ", ".join(channel.topics)

    @admin.action(description=_("Send a test message to the selected channels"), permissions=["change"])
    def send_test_message(self, request, queryset):
        count = subscriptions.send_test_message(list(queryset.values_list("pk", flat=True)))
        self.message_user(
            request,
            ngettext(
                "A test message to %(count)d channel is queued; its row under Endpoint deliveries shows it.",
                "Test messages to %(count)d channels are queued; their rows under Endpoint deliveries show it.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(EndpointDelivery)
class EndpointDeliveryAdmin(admin.ModelAdmin):
    """The endpoint outbox, read-only, with the progress of every endpoint above the list."""

    list_display = ["event", "kind", "endpoint", "status", "attempts", "response_status", "last_error", "created_at"]
    list_filter = ["status", "kind", "topic"]
    search_fields = ["event", "subscription__url", "channel__name"]
    list_select_related = ["subscription", "channel"]
    change_list_template = "admin/endpoints/endpointdelivery/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "endpoint_progress": endpoint_progress(),
            "totals": EndpointDelivery.objects.filter(kind__in=STREAM_KINDS).progress(),
        }
        return super().changelist_view(request, extra_context)
