"""Subscribers and the delivery outbox.

A ``Delivery`` row is the only way an email reaches a subscriber: one row per (window, subscriber, kind, sequence), or
per (incident update, subscriber, channel), under a unique constraint, created in bulk by the scheduler and claimed
atomically by the sending tasks. ``OutboxRow`` holds what every outbox row shares: the webhook and apprise outbox
(``endpoints.models.EndpointDelivery``, which also carries the emails to a webhook's owner) is built on it.
"""

import uuid

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import models
from django.db.models.base import ModelState
from django.db.models.functions import Lower
from django.db.models.signals import post_init, pre_init
from django.utils.translation import gettext_lazy as _

from maintenance.models import Incident, IncidentUpdate, Region, Window, validate_timezone
from notifications.addresses import canonical, normalise_email


class LoadsQuickly:
    """For a model whose rows a fan-out reads by the thousand: ``from_db`` puts the loaded columns straight into the
    instance, which is what ``Model.__init__`` does for plain fields and foreign keys on a new instance, without its
    work per field. With a receiver of ``pre_init`` or ``post_init`` for the model, rows load the usual way."""

    @classmethod
    def from_db(cls, db, field_names, values):
        if pre_init.has_listeners(cls) or post_init.has_listeners(cls):
            return super().from_db(db, field_names, values)
        new = cls.__new__(cls)
        state = new._state = ModelState()
        state.adding = False
        state.db = db
        new.__dict__.update(zip(field_names, values, strict=True))
        return new


class Subscriber(LoadsQuickly, models.Model):
    """Someone who gets email about the windows of their regions and, when they chose it, their incidents."""

    class State(models.TextChoices):
        PENDING = "pending", _("Pending confirmation")
        CONFIRMED = "confirmed", _("Confirmed")
        UNSUBSCRIBED = "unsubscribed", _("Unsubscribed")
        SUPPRESSED = "suppressed", _("Suppressed")

    class Language(models.TextChoices):
        EN = "en", "English"
        DE = "de", "Deutsch"
        JA = "ja", "日本語"

    email = models.EmailField(_("email"), max_length=254, unique=True, validators=[EmailValidator()])
    # ``addresses.canonical(email)``: the stored domain is already lower-case ASCII, so lower-casing the whole
    # address is the canonical form. The database keeps it, so no write path (bulk_create, update) can skip it.
    canonical_email = models.GeneratedField(
        expression=Lower("email"),
        output_field=models.CharField(max_length=254),
        db_persist=True,
        verbose_name=_("canonical address"),
    )
    key = models.UUIDField(_("key"), default=uuid.uuid4, unique=True, editable=False)
    regions = models.ManyToManyField(Region, verbose_name=_("regions"), related_name="subscribers")
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, default=Language.EN)
    timezone = models.CharField(
        _("time zone"), max_length=64, blank=True, validators=[validate_timezone], help_text=_("Optional.")
    )
    notify_start_end = models.BooleanField(_("notify at start and end"), default=False)
    # The topics: what the subscriber hears about in their regions. At least one is on (the forms ask for it).
    topic_maintenance = models.BooleanField(_("planned maintenance"), default=True)
    topic_incidents = models.BooleanField(_("incidents"), default=True)
    state = models.CharField(_("state"), max_length=20, choices=State.choices, default=State.PENDING, db_index=True)
    state_reason = models.CharField(_("reason"), max_length=300, blank=True)
    confirm_requests = models.PositiveIntegerField(_("confirmation requests"), default=0, editable=False)
    created_at = models.DateTimeField(_("created at"), db_index=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("subscriber")
        verbose_name_plural = _("subscribers")
        constraints = [models.UniqueConstraint(fields=["canonical_email"], name="one_subscriber_per_address")]

    def __str__(self):
        return self.email

    def clean(self):
        super().clean()
        if self.email:
            try:
                self.email = normalise_email(self.email)  # the admin stores an address as the form and API do
            except ValidationError as error:
                raise ValidationError({"email": error.messages}) from None
            taken = Subscriber.objects.filter(canonical_email=canonical(self.email)).exclude(pk=self.pk)
            if taken.exists():
                raise ValidationError({"email": _("A subscriber with this address (in any letter case) exists.")})


class OutboxRow(models.Model):
    """What every outbox row has, whatever it carries (an email here, a webhook or chat post in ``endpoints``): its
    attempts and last error, and the times that say when a worker may take it. A model adds its own ``status`` with
    at least ``pending``, ``sending`` and ``sent``."""

    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"))
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    lease_until = models.DateTimeField(_("lease until"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        abstract = True

    @staticmethod
    def claimable(now):
        """The one rule for the rows a worker may take at ``now``: pending and due, or sending on a lease run out.

        A condition, for ``filter()`` or as a column in ``annotate()``, on any outbox's rows.
        """
        pending_and_due = models.Q(status="pending") & (
            models.Q(next_attempt_at__isnull=True) | models.Q(next_attempt_at__lte=now)
        )
        return pending_and_due | models.Q(status="sending", lease_until__lt=now)


class DeliveryQuerySet(models.QuerySet):
    def progress(self):
        """``{status: count}`` over these rows, in one query."""
        counts = dict.fromkeys(Delivery.Status.values, 0)
        for row in self.values("status").annotate(n=models.Count("id")).order_by():
            counts[row["status"]] = row["n"]
        return counts


class Delivery(LoadsQuickly, OutboxRow):
    """One email to one subscriber: the outbox row and the ledger of what happened to it."""

    class Kind(models.TextChoices):
        CONFIRM = "confirm", _("Confirmation request")
        ALREADY_SUBSCRIBED = "already_subscribed", _("Already subscribed")
        ANNOUNCEMENT = "announcement", _("Announcement")
        REMINDER = "reminder", _("Reminder")
        RESCHEDULED = "rescheduled", _("Rescheduled")
        CANCELLED = "cancelled", _("Cancelled")
        STARTED = "started", _("Started")
        COMPLETED = "completed", _("Completed")
        EXTENDED = "extended", _("Extended")
        INCIDENT_OPENED = "incident_opened", _("Incident opened")
        INCIDENT_UPDATE = "incident_update", _("Incident update")
        INCIDENT_RESOLVED = "incident_resolved", _("Incident resolved")

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Suppressed")
        SKIPPED = "skipped", _("Skipped")

    WINDOW_KINDS = {
        Kind.ANNOUNCEMENT,
        Kind.REMINDER,
        Kind.RESCHEDULED,
        Kind.CANCELLED,
        Kind.STARTED,
        Kind.COMPLETED,
        Kind.EXTENDED,
    }
    # Notices about a window's plan: a newer sequence makes an unsent older one obsolete.
    PLAN_KINDS = {Kind.ANNOUNCEMENT, Kind.RESCHEDULED, Kind.REMINDER}
    # Notices about one incident update: a newer notifiable update makes an unsent older one obsolete.
    INCIDENT_KINDS = {Kind.INCIDENT_OPENED, Kind.INCIDENT_UPDATE, Kind.INCIDENT_RESOLVED}
    # Personal mail about the subscription itself, with no window or incident.
    REQUEST_KINDS = {Kind.CONFIRM, Kind.ALREADY_SUBSCRIBED}

    # The foreign keys to the window, incident and update need no index of their own: each leads an index or
    # unique constraint below, which a lookup or a cascade by that column uses. Every index costs each row's insert
    # and each of its status changes a write.
    window = models.ForeignKey(
        Window,
        verbose_name=_("window"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    subscriber = models.ForeignKey(
        Subscriber, verbose_name=_("subscriber"), on_delete=models.CASCADE, related_name="deliveries"
    )
    incident = models.ForeignKey(
        Incident,
        verbose_name=_("incident"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    incident_update = models.ForeignKey(
        IncidentUpdate,
        verbose_name=_("incident update"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deliveries",
        db_index=False,
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices, default=Channel.EMAIL)
    sequence = models.PositiveIntegerField(
        _("sequence"),
        help_text=_("The window's sequence; for a confirmation, the request's number; 0 for an incident notice."),
    )
    lead_minutes = models.PositiveIntegerField(
        _("lead (minutes)"), default=0, help_text=_("How long before the start a reminder goes out; 0 otherwise.")
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    esp_message_id = models.CharField(_("ESP message id"), max_length=255, blank=True)

    objects = DeliveryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["window", "subscriber", "kind", "sequence", "lead_minutes"],
                condition=models.Q(window__isnull=False),
                name="one_delivery_per_window_subscriber_kind_sequence",
            ),
            models.UniqueConstraint(
                fields=["subscriber", "kind", "sequence"],
                condition=models.Q(window__isnull=True, incident_update__isnull=True),
                name="one_delivery_per_subscriber_request",
            ),
            models.UniqueConstraint(
                fields=["incident_update", "subscriber", "channel"],
                condition=models.Q(incident_update__isnull=False),
                name="one_delivery_per_incident_update_subscriber_channel",
            ),
            # Each row is about exactly one thing: a subscription request, a window, or an incident update (with
            # its incident), and its kind says which.
            models.CheckConstraint(
                condition=models.Q(
                    window__isnull=True,
                    incident__isnull=True,
                    incident_update__isnull=True,
                    kind__in=["confirm", "already_subscribed"],
                )
                | models.Q(window__isnull=False, incident__isnull=True, incident_update__isnull=True)
                & ~models.Q(kind__in=["confirm", "already_subscribed"])
                & ~models.Q(kind__in=["incident_opened", "incident_update", "incident_resolved"])
                | models.Q(
                    window__isnull=True,
                    incident__isnull=False,
                    incident_update__isnull=False,
                    kind__in=["incident_opened", "incident_update", "incident_resolved"],
                ),
                name="delivery_subject_matches_kind",
            ),
        ]
        indexes = [
            # Only the rows a worker may still take: a row leaves this index once it is sent or given up.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=models.Q(status__in=["pending", "sending"]),
                name="delivery_open_due",
            ),
            # A window's rows are found through its unique constraint (window first); an incident's through this.
            models.Index(
                fields=["incident", "subscriber", "status"],
                condition=models.Q(incident__isnull=False),
                name="delivery_incident_rows",
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.sequence} → {self.subscriber_id}"


class ProcessedEvent(models.Model):
    """An ESP tracking event already acted on; webhooks are retried, and each event counts once.

    The recipient is kept only as ``addresses.address_hash``: deleting a subscriber's data leaves no address here.
    """

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    event_type = models.CharField(_("event type"), max_length=40)
    esp_name = models.CharField(_("ESP"), max_length=40, blank=True)
    recipient_hash = models.CharField(_("recipient (keyed hash)"), max_length=64, blank=True, db_index=True)
    reject_reason = models.CharField(_("reject reason"), max_length=40, blank=True)
    description = models.CharField(_("description"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("processed tracking event")
        verbose_name_plural = _("processed tracking events")

    def __str__(self):
        return f"{self.esp_name} {self.event_type} {self.event_id}"


class Suppression(models.Model):
    """An address that gets no more mail, kept only as a keyed hash so it outlives "Delete my data".

    Written by ``subscriptions.suppress`` (the tracking webhook, or an admin) and removed only by
    ``subscriptions.lift_suppression`` (a superuser in the admin).
    """

    address_hash = models.CharField(_("address (keyed hash)"), max_length=64, unique=True)
    reason = models.CharField(_("reason"), max_length=300)
    event = models.ForeignKey(
        ProcessedEvent,
        verbose_name=_("tracking event"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suppressions",
    )
    created_at = models.DateTimeField(_("suppressed at"))

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("suppression")
        verbose_name_plural = _("suppressions")

    def __str__(self):
        return f"{self.reason} ({self.address_hash[:12]}…)"
