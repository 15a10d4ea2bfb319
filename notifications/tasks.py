"""Celery tasks. They take ids, never model instances, and each is safe to run twice.

The services publish these by name (``notifications.queueing``), so nothing below this module imports it.
"""

from celery import shared_task
from django.db import InterfaceError, OperationalError
from django.utils import timezone

from notifications import outbox, schedule, subscriptions
from notifications.queueing import SCHEDULE_DUE, SEND_CHUNK

# A lost database connection (a restart, a failover) is worth another try in a few seconds rather than waiting for
# the next beat tick or, for rows already claimed, the end of their lease. Celery's Django fixup closes unusable
# connections before each task, so the retry runs on a fresh one. Both tasks are safe to run twice.
DATABASE_GONE = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 60,
    "retry_jitter": True,
    "max_retries": 8,
}


@shared_task(name=SCHEDULE_DUE, **DATABASE_GONE)
def schedule_due():
    """Create the deliveries that are due by now and queue what waits (every minute, and after each window change)."""
    now = timezone.now()
    created = schedule.create_due(now)
    queued = outbox.dispatch(now)
    return {"created": sum(created.values()), "queued": queued}


@shared_task(name=SEND_CHUNK, **DATABASE_GONE)
def send_chunk(delivery_ids):
    """Claim and send these outbox rows; rows already taken or done are left alone."""
    return outbox.send_chunk(delivery_ids).summary()


@shared_task(name="notifications.tasks.purge_unconfirmed")
def purge_unconfirmed():
    """Delete subscribers who never confirmed (daily)."""
    return subscriptions.purge_unconfirmed()
