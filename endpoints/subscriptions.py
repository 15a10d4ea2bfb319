"""Webhook subscriptions and channels: the services the API, the pages and the admin call.

Nothing is sent from here: each change writes rows, and the outbox sends them.
"""

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from endpoints import channels, guard, queueing, vault
from endpoints.models import Channel, EndpointDelivery, Topic, WebhookSubscription
from maintenance.models import Region
from notifications.addresses import normalise_email


class SubscribeForm(forms.Form):
    """What a webhook subscription needs; each error is keyed by the field it is about."""

    url = forms.CharField(strip=True)  # the guard checks its length, and says so
    regions = forms.ModelMultipleChoiceField(
        queryset=Region.objects.filter(active=True), to_field_name="slug", required=True
    )
    topics = forms.MultipleChoiceField(choices=Topic.choices, required=True)
    email = forms.CharField(max_length=254)

    def clean_url(self):
        url = self.cleaned_data["url"]
        try:
            guard.check_and_resolve(url)
        except guard.UnsafeURL as exc:
            raise ValidationError(str(exc), code="unsafe_url") from None
        return url

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])


def subscribe(url, regions, topics, owner_email, now=None):
    """Create a pending subscription and its owner's confirmation email; returns (subscription, signing secret).

    The secret is returned here only: it is stored encrypted and never shown again.
    """
    now = now or timezone.now()
    secret = vault.new_webhook_secret()
    with transaction.atomic():
        subscription = WebhookSubscription.objects.create(
            url=url,
            owner_email=owner_email,
            secret_encrypted=vault.encrypt(secret),
            maintenance=Topic.MAINTENANCE in topics,
            incidents=Topic.INCIDENTS in topics,
            created_at=now,
        )
        subscription.regions.set(regions)
        EndpointDelivery.objects.create(
            subscription=subscription,
            kind=EndpointDelivery.Kind.CONFIRM,
            event="confirm-1",
            event_at=now,
            created_at=now,
        )
        queueing.schedule_due_on_commit()
    return subscription, secret


def confirm(subscription, now=None):
    """Activate a pending subscription; True if this call did it."""
    now = now or timezone.now()
    return bool(
        WebhookSubscription.objects.filter(pk=subscription.pk, state=WebhookSubscription.State.PENDING).update(
            state=WebhookSubscription.State.ACTIVE, confirmed_at=now, state_reason=""
        )
    )


def unsubscribe(subscription, now=None):
    """End a subscription at once: nothing more is sent to it, queued rows included."""
    with transaction.atomic():
        WebhookSubscription.objects.filter(pk=subscription.pk).update(
            state=WebhookSubscription.State.UNSUBSCRIBED, state_reason="unsubscribed by its owner"
        )
        EndpointDelivery.objects.filter(subscription=subscription, status=EndpointDelivery.Status.PENDING).update(
            status=EndpointDelivery.Status.SKIPPED, last_error="unsubscribed"
        )


def reenable(subscription, now=None):
    """Activate a disabled subscription again (an operator, once the owner fixed the endpoint); True if it was."""
    now = now or timezone.now()
    return bool(
        WebhookSubscription.objects.filter(pk=subscription.pk, state=WebhookSubscription.State.DISABLED).update(
            state=WebhookSubscription.State.ACTIVE, state_reason="", failing_since=None, last_error="", disabled_at=None
        )
    )


def set_channel_url(channel, url):
    """Store ``url`` (encrypted) on an unsaved or saved channel, with its redacted hint; ValueError if unparsable."""
    service = channels.parse(url)
    if service is None:
        raise ValueError(url)
    channel.url_encrypted = vault.encrypt(url.strip())
    channel.url_hint = channels.hint(url.strip())
    channel.service = channels.service_name(service)


def send_test_message(channel_ids, now=None):
    """Queue a test message to each channel; returns how many were queued."""
    now = now or timezone.now()
    rows = [
        EndpointDelivery(
            channel_id=pk,
            kind=EndpointDelivery.Kind.TEST,
            event=f"test-{now.strftime('%Y%m%dT%H%M%S.%f')}",
            event_at=now,
            created_at=now,
        )
        for pk in Channel.objects.filter(pk__in=channel_ids).values_list("pk", flat=True)
    ]
    with transaction.atomic():
        EndpointDelivery.objects.bulk_create(rows, ignore_conflicts=True)
        queueing.schedule_due_on_commit()
    return len(rows)
