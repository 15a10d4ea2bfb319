"""Signal receivers: the lifecycle's and the incident service's nudges, and the ESP's tracking events."""

import logging

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from notifications import queueing, subscriptions
from notifications.addresses import address_hash, normalise_email
from notifications.models import ProcessedEvent

logger = logging.getLogger(__name__)

# anymail's normalised event types that mean "never mail this address again".
SUPPRESSING = {"bounced", "complained", "unsubscribed", "rejected"}


def window_changed(sender, window_id=None, action=None, sequence=None, **kwargs):
    """The lifecycle changed a window (already committed): work out what is due now rather than at the next tick."""
    queueing.schedule_due_on_commit()


def incident_changed(sender, incident_id=None, update_id=None, action=None, **kwargs):
    """An incident was opened, updated, resolved or reopened (already committed): its notices are due now."""
    queueing.schedule_due_on_commit()


def tracking(sender, event, esp_name, **kwargs):
    """Suppress the address on a hard bounce, a complaint or an ESP unsubscribe; each event_id counts once."""
    if event.event_type not in SUPPRESSING or not event.recipient:
        return
    if event.event_type == "rejected" and event.reject_reason not in {"bounced", "invalid", "spam", "blocked"}:
        return
    if event.event_type == "bounced" and event.reject_reason not in {None, "bounced", "invalid"}:
        return  # a soft bounce (timed_out, other): the outbox retries, the address stays
    try:
        email = normalise_email(event.recipient)
    except ValidationError:
        logger.warning("tracking event %s for an unusable address", event.event_id)
        return
    event_id = event.event_id or f"{esp_name}:{event.event_type}:{address_hash(email)}:{event.timestamp}"
    with transaction.atomic():
        try:
            with transaction.atomic():
                processed = ProcessedEvent.objects.create(
                    event_id=event_id[:255],
                    event_type=event.event_type,
                    esp_name=esp_name or "",
                    recipient_hash=address_hash(email),
                    reject_reason=(event.reject_reason or "")[:40],
                    description=(event.description or "")[:300],
                )
        except IntegrityError:
            return  # seen before: the ESP retried the webhook
        reason = f"{esp_name}: {event.event_type}" + (f" ({event.reject_reason})" if event.reject_reason else "")
        # ESPs may report the local part in another case; the mailbox is the same (the canonical address).
        subscriptions.suppress_address(email, reason, event=processed)
