"""Webhook subscriptions, the operator's chat channels, and the outbox of what is posted to them.

An ``EndpointDelivery`` row is the only way anything leaves for an endpoint: one row per (event, subscription) or
(event, channel) under a unique constraint, created in bulk by ``endpoints.schedule`` and claimed atomically by
``endpoints.outbox``. It is an ``OutboxRow``, like notifications' ``Delivery``, so one rule, ``OutboxRow.claimable``,
says which rows a worker may take in both outboxes.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from maintenance.models import Region
from notifications.models import OutboxRow


class Topic(models.TextChoices):
    MAINTENANCE = "maintenance", _("Planned maintenance")
    INCIDENTS = "incidents", _("Incidents")


class WebhookSubscription(models.Model):
    """A customer's endpoint that gets Statuspage-shaped, signed webhooks about the windows and incidents it follows."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        ACTIVE = "active", _("Active")
        DISABLED = "disabled", _("Disabled")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")

    url = models.URLField(_("endpoint URL"), max_length=2000)
    owner_email = models.EmailField(_("owner email"), max_length=254)
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    # The signing secret (``whsec_...``), encrypted with ``endpoints.secrets``; shown once, when subscribing.
    secret_encrypted = models.TextField(_("signing secret (encrypted)"), editable=False)
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="webhook_subscriptions")
    maintenance = models.BooleanField(_("planned maintenance"), default=True)
    incidents = models.BooleanField(_("incidents"), default=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    state_reason = models.CharField(_("reason"), max_length=300, blank=True)
    failing_since = models.DateTimeField(
        _("failing since"), null=True, blank=True, help_text=_("The first failure since the last success.")
    )
    failure_streak = models.PositiveIntegerField(
        _("failure streaks"), default=0, help_text=_("How many times the endpoint has started failing.")
    )
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("webhook subscription")
        verbose_name_plural = _("webhook subscriptions")

    def __str__(self):
        return self.url

    @property
    def topics(self):
        return [topic for topic in Topic.values if getattr(self, topic)]


class Channel(models.Model):
    """An operator's chat channel (Slack, Teams, Discord, ntfy, ...) reached through an apprise URL.

    The URL holds the channel's credentials: it is stored encrypted and shown only as ``url_hint``.
    """

    name = models.CharField(_("name"), max_length=100)
    url_encrypted = models.TextField(_("apprise URL (encrypted)"), editable=False)
    url_hint = models.CharField(_("apprise URL"), max_length=120, editable=False)
    service = models.CharField(_("service"), max_length=60, editable=False)
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="channels")
    maintenance = models.BooleanField(_("planned maintenance"), default=True)
    incidents = models.BooleanField(_("incidents"), default=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("chat channel")
        verbose_name_plural = _("chat channels")

    def __str__(self):
        return self.name

    @property
    def topics(self):
        return [topic for topic in Topic.values if getattr(self, topic)]


class EndpointDeliveryQuerySet(models.QuerySet):
    def progress(self):
        """``{status: count}`` over these rows, in one query; a pending row that failed before is ``retrying``."""
        counts = {"sent": 0, "pending": 0, "retrying": 0, "failed": 0, "skipped": 0}
        rows = self.annotate(retrying=models.Q(attempts__gt=0, status__in=["pending", "sending"]))
        for row in rows.values("status", "retrying").annotate(n=models.Count("id")).order_by():
            name = "retrying" if row["retrying"] else {"sending": "pending"}.get(row["status"], row["status"])
            counts[name] += row["n"]
        return counts


class EndpointDelivery(OutboxRow):
    """One event to one endpoint (a webhook subscription or a chat channel), or one email to a subscription's owner."""

    class Kind(models.TextChoices):
        EVENT = "event", _("Event")
        TEST = "test", _("Test message")
        CONFIRM = "confirm", _("Owner: confirmation request")
        FAILING = "failing", _("Owner: endpoint failing")
        DISABLED = "disabled", _("Owner: endpoint disabled")

    class Status(models.TextChoices):
        # The values of notifications' Delivery.Status, which OutboxRow.claimable reads.
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped")

    OWNER_KINDS = {Kind.CONFIRM, Kind.FAILING, Kind.DISABLED}

    # No index of their own: each endpoint's rows are found through the unique (endpoint, event) indexes and the
    # order index, which begin with it, and every row written (made, claimed, recorded) updates every index.
    subscription = models.ForeignKey(
        WebhookSubscription,
        verbose_name=_("webhook subscription"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    channel = models.ForeignKey(
        Channel,
        verbose_name=_("chat channel"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.EVENT)
    # What is told: ``incident-update-<pk>`` or ``window-event-<pk>`` (the ids of the v2 API's updates), or for the
    # owner's emails and test messages a key of their own (``confirm-1``, ``failing-2``, ``test-<hex>``).
    event = models.CharField(_("event"), max_length=80)
    topic = models.CharField(_("topic"), max_length=20, choices=Topic.choices, blank=True)
    event_at = models.DateTimeField(_("event time"), help_text=_("Rows of one endpoint go out in this order."))
    # The Standard Webhooks ``webhook-id``: the same for every attempt of this row.
    message_id = models.UUIDField(_("message id"), default=uuid.uuid4, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    response_status = models.PositiveSmallIntegerField(_("last HTTP status"), null=True, blank=True)

    objects = EndpointDeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("endpoint delivery")
        verbose_name_plural = _("endpoint deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event"],
                condition=models.Q(subscription__isnull=False),
                name="one_endpoint_delivery_per_subscription_event",
            ),
            models.UniqueConstraint(
                fields=["channel", "event"],
                condition=models.Q(channel__isnull=False),
                name="one_endpoint_delivery_per_channel_event",
            ),
            models.CheckConstraint(
                condition=models.Q(subscription__isnull=False, channel__isnull=True)
                | models.Q(subscription__isnull=True, channel__isnull=False),
                name="endpoint_delivery_has_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="endpoint_delivery_status_due"),
            models.Index(fields=["subscription", "event_at"], name="endpoint_delivery_order"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.event} → {self.subscription or self.channel}"

    @property
    def endpoint(self):
        return self.subscription if self.subscription_id else self.channel

    @property
    def webhook_id(self):
        return f"msg_{self.message_id.hex}"
