"""The subscription flow as services: subscribe, confirm, change, unsubscribe, suppress, forget.

Views, the API, the admin and the tracking webhook call these; none of them writes a subscriber's state itself.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications import queueing
from notifications.models import Delivery, Subscriber


def subscribe(email, regions, language, zone="", notify_start_end=False, now=None):
    """Ask ``email`` to confirm, or tell a confirmed one it already is. The caller answers the same either way.

    ``email`` is already normalised and ``regions`` are Region objects. Returns the kind of mail queued, or None.
    """
    now = now or timezone.now()
    with transaction.atomic():
        subscriber, created = Subscriber.objects.select_for_update().get_or_create(
            email=email,
            defaults={
                "language": language,
                "timezone": zone or "",
                "notify_start_end": notify_start_end,
                "created_at": now,
            },
        )
        if created:
            subscriber.regions.set(regions)
            kind = Delivery.Kind.CONFIRM
        elif subscriber.state in (Subscriber.State.PENDING, Subscriber.State.UNSUBSCRIBED):
            # Not confirmed: the latest request's choices stand, and the owner confirms them.
            subscriber.language = language
            subscriber.timezone = zone or ""
            subscriber.notify_start_end = notify_start_end
            subscriber.state = Subscriber.State.PENDING
            subscriber.state_reason = ""
            subscriber.save(update_fields=["language", "timezone", "notify_start_end", "state", "state_reason"])
            subscriber.regions.set(regions)
            kind = Delivery.Kind.CONFIRM
        elif subscriber.state == Subscriber.State.CONFIRMED:
            # Nobody but the owner changes a confirmed subscription: they get a link to do it themselves.
            kind = Delivery.Kind.ALREADY_SUBSCRIBED
        else:
            return None  # suppressed after a bounce or complaint: no mail at all
        queue_personal(subscriber, kind, now)
    return kind


def queue_personal(subscriber, kind, now):
    """One outbox row for a mail about the subscription itself, sent once the transaction commits."""
    Subscriber.objects.filter(pk=subscriber.pk).update(confirm_requests=F("confirm_requests") + 1)
    number = Subscriber.objects.values_list("confirm_requests", flat=True).get(pk=subscriber.pk)
    delivery = Delivery.objects.create(subscriber=subscriber, kind=kind, sequence=number, created_at=now)
    queueing.publish_on_commit(queueing.SEND_CHUNK, [[delivery.pk]])  # if the broker is down, the beat sends it
    return delivery


def confirm(subscriber, now=None):
    """pending → confirmed. Returns True if this call confirmed it; confirming twice changes nothing."""
    now = now or timezone.now()
    with transaction.atomic():
        changed = Subscriber.objects.filter(pk=subscriber.pk, state=Subscriber.State.PENDING).update(
            state=Subscriber.State.CONFIRMED, confirmed_at=now
        )
    if changed:
        subscriber.refresh_from_db()
        queueing.schedule_due_on_commit()  # upcoming announced windows reach the new subscriber in seconds
    return bool(changed)


def update(subscriber, regions, language, zone, notify_start_end):
    with transaction.atomic():
        subscriber.language = language
        subscriber.timezone = zone or ""
        subscriber.notify_start_end = notify_start_end
        subscriber.save(update_fields=["language", "timezone", "notify_start_end", "updated_at"])
        subscriber.regions.set(regions)
    queueing.schedule_due_on_commit()


def unsubscribe(subscriber, reason="unsubscribed", now=None):
    """Stop all mail at once: the state changes and the waiting rows are skipped. True if it changed."""
    with transaction.atomic():
        still_mailed = [Subscriber.State.CONFIRMED, Subscriber.State.PENDING]
        changed = Subscriber.objects.filter(pk=subscriber.pk, state__in=still_mailed).update(
            state=Subscriber.State.UNSUBSCRIBED, state_reason=reason[:300]
        )
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SKIPPED, last_error=reason[:500]
        )
    subscriber.refresh_from_db()
    return bool(changed)


def suppress(subscriber, reason):
    """A hard bounce, a complaint or an ESP unsubscribe: never mail this address again. True if it changed."""
    with transaction.atomic():
        changed = (
            Subscriber.objects.filter(pk=subscriber.pk)
            .exclude(state=Subscriber.State.SUPPRESSED)
            .update(state=Subscriber.State.SUPPRESSED, state_reason=reason[:300])
        )
        Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
            status=Delivery.Status.SUPPRESSED, last_error=reason[:500]
        )
    return bool(changed)


def forget(subscriber):
    """Delete the subscriber and every delivery row about them."""
    subscriber.delete()


def purge_unconfirmed(now=None):
    """Delete subscribers who did not confirm within SUBSCRIPTION_PURGE_DAYS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUBSCRIPTION_PURGE_DAYS)
    stale = Subscriber.objects.filter(state=Subscriber.State.PENDING, created_at__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count
