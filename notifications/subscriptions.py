"""The subscription flow as services: subscribe, confirm, change, unsubscribe, suppress, lift a suppression, forget.

Views, the API, the admin and the tracking webhook call these; none of them writes a subscriber's state itself.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from notifications import queueing
from notifications.addresses import address_hash, address_hashes, canonical
from notifications.models import Delivery, Subscriber, Suppression


def subscribe(
    email, regions, language, zone="", notify_start_end=False, now=None, topic_maintenance=True, topic_incidents=True
):
    """Ask ``email`` to confirm, or tell a confirmed one it already is. The caller answers the same either way.

    ``email`` is already normalised and ``regions`` are Region objects; the topics say what the subscriber hears
    about in them (both by default). Returns the kind of mail queued, or None.

    Every address costs the same work, so the time an answer takes tells nothing about the address: the same
    statements run in the same order whether it is new, pending, confirmed or suppressed. The writes that must not
    happen are made conditional in the database (an UPDATE that matches no row, the regions the subscriber already
    has), and a suppressed address's writes are rolled back at the end.
    """
    now = now or timezone.now()
    suppressed = Suppression.objects.filter(address_hash__in=address_hashes(email)).exists()
    with transaction.atomic():
        savepoint = transaction.savepoint()
        try:
            topics = {"topic_maintenance": topic_maintenance, "topic_incidents": topic_incidents}
            kind, delivery_id = _request(email, regions, language, zone, notify_start_end, topics, now)
        except BaseException:
            transaction.savepoint_rollback(savepoint)
            raise
        if suppressed or kind is None:
            kind = None
            transaction.savepoint_rollback(savepoint)  # nothing stays, not even the address
        else:
            transaction.savepoint_commit(savepoint)
        # The nudge goes out either way; for a rolled-back row the worker finds nothing to send.
        queueing.publish_on_commit(queueing.SEND_CHUNK, [[delivery_id]])
    return kind


def _request(email, regions, language, zone, notify_start_end, topics, now):
    """The writes of one subscribe request, the same statements for every state; returns (kind or None, row id)."""
    Subscriber.objects.bulk_create(
        [
            Subscriber(
                email=email,
                language=language,
                timezone=zone or "",
                notify_start_end=notify_start_end,
                created_at=now,
                **topics,
            )
        ],
        ignore_conflicts=True,
    )
    subscriber = Subscriber.objects.select_for_update().get(canonical_email=canonical(email))
    # Not confirmed (or new): the latest request's choices stand, and the owner confirms them. Nobody but the owner
    # changes a confirmed subscription: they get a link to do it themselves.
    open_states = [Subscriber.State.PENDING, Subscriber.State.UNSUBSCRIBED]
    is_open = subscriber.state in open_states
    Subscriber.objects.filter(pk=subscriber.pk, state__in=open_states).update(
        language=language,
        timezone=zone or "",
        notify_start_end=notify_start_end,
        **topics,
        state=Subscriber.State.PENDING,
        state_reason="",
        updated_at=now,
    )
    membership = Subscriber.regions.through
    current = set(membership.objects.filter(subscriber_id=subscriber.pk).values_list("region_id", flat=True))
    wanted = {region.pk for region in regions} if is_open else current
    membership.objects.filter(subscriber_id=subscriber.pk).exclude(region_id__in=wanted).delete()
    membership.objects.bulk_create(
        [membership(subscriber_id=subscriber.pk, region_id=region_id) for region_id in sorted(wanted)],
        ignore_conflicts=True,
    )
    if is_open:
        kind = Delivery.Kind.CONFIRM
    elif subscriber.state == Subscriber.State.CONFIRMED:
        kind = Delivery.Kind.ALREADY_SUBSCRIBED
    else:
        kind = None  # suppressed: the row below is written and rolled back, like every suppressed address's
    delivery = _personal_row(subscriber, kind or Delivery.Kind.ALREADY_SUBSCRIBED, now)
    return kind, delivery.pk


def _personal_row(subscriber, kind, now):
    Subscriber.objects.filter(pk=subscriber.pk).update(confirm_requests=F("confirm_requests") + 1)
    number = Subscriber.objects.values_list("confirm_requests", flat=True).get(pk=subscriber.pk)
    return Delivery.objects.create(subscriber=subscriber, kind=kind, sequence=number, created_at=now)


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


def update(subscriber, regions, language, zone, notify_start_end, topic_maintenance=None, topic_incidents=None):
    """The subscriber's own change of preferences; a topic given as None stays as it is."""
    with transaction.atomic():
        subscriber.language = language
        subscriber.timezone = zone or ""
        subscriber.notify_start_end = notify_start_end
        if topic_maintenance is not None:
            subscriber.topic_maintenance = topic_maintenance
        if topic_incidents is not None:
            subscriber.topic_incidents = topic_incidents
        subscriber.save(
            update_fields=[
                "language",
                "timezone",
                "notify_start_end",
                "topic_maintenance",
                "topic_incidents",
                "updated_at",
            ]
        )
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


def suppress(subscriber, reason, event=None, now=None):
    """A hard bounce, a complaint or an ESP unsubscribe: never mail this address again. True if it changed."""
    return suppress_address(subscriber.email, reason, event, now) > 0


def suppress_address(email, reason, event=None, now=None):
    """Record the address as suppressed (a keyed hash) and suppress its subscriber, if any; returns how many changed.

    The suppression outlives the subscriber: after "Delete my data" the address stays suppressed, and no address is
    kept. ``event`` is the ProcessedEvent that caused it, shown in the admin.
    """
    now = now or timezone.now()
    with transaction.atomic():
        Suppression.objects.get_or_create(
            address_hash=address_hash(email), defaults={"reason": reason[:300], "event": event, "created_at": now}
        )
        changed = 0
        for subscriber in Subscriber.objects.filter(canonical_email=canonical(email)):
            changed += (
                Subscriber.objects.filter(pk=subscriber.pk)
                .exclude(state=Subscriber.State.SUPPRESSED)
                .update(state=Subscriber.State.SUPPRESSED, state_reason=reason[:300], updated_at=now)
            )
            Delivery.objects.filter(subscriber=subscriber, status=Delivery.Status.PENDING).update(
                status=Delivery.Status.SUPPRESSED, last_error=reason[:500]
            )
    return changed


def lift_suppression(suppression, actor_label):
    """A superuser's decision to mail the address again: the suppression goes, its subscriber (if any) comes back.

    A subscriber who had confirmed is confirmed again; one who had not must subscribe again. Returns the subscriber.
    """
    with transaction.atomic():
        suppression = Suppression.objects.select_for_update().get(pk=suppression.pk)
        found = None
        for subscriber in Subscriber.objects.filter(state=Subscriber.State.SUPPRESSED):
            if address_hash(subscriber.email) == suppression.address_hash:
                found = subscriber
                break
        suppression.delete()
        if found is not None:
            found.state = Subscriber.State.CONFIRMED if found.confirmed_at else Subscriber.State.UNSUBSCRIBED
            found.state_reason = f"suppression lifted by {actor_label}"[:300]
            found.save(update_fields=["state", "state_reason", "updated_at"])
    if found is not None:
        queueing.schedule_due_on_commit()
    return found


def suppression_of(subscriber):
    """The Suppression row for this subscriber's address, or None."""
    return Suppression.objects.filter(address_hash__in=address_hashes(subscriber.email)).select_related("event").first()


def forget(subscriber):
    """Delete the subscriber and every delivery row about them. A suppression stays, as a keyed hash only."""
    subscriber.delete()


def purge_unconfirmed(now=None):
    """Delete subscribers who did not confirm within SUBSCRIPTION_PURGE_DAYS; returns how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SUBSCRIPTION_PURGE_DAYS)
    stale = Subscriber.objects.filter(state=Subscriber.State.PENDING, created_at__lt=cutoff)
    count = stale.count()
    stale.delete()
    return count
