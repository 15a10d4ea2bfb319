"""Celery tasks. They take ids, never model instances, and each is safe to run twice."""

from celery import shared_task

from notifications import outbox, subscriptions


@shared_task(name="notifications.tasks.schedule_due")
def schedule_due():
    """Create the deliveries that are due by now and queue what waits (every minute, and after each window change)."""
    result = outbox.schedule_due()
    return {"created": sum(result["created"].values()), "queued": result["queued"]}


@shared_task(name="notifications.tasks.send_chunk")
def send_chunk(delivery_ids):
    """Claim and send these outbox rows; rows already taken or done are left alone."""
    return outbox.send_chunk(delivery_ids).summary()


@shared_task(name="notifications.tasks.purge_unconfirmed")
def purge_unconfirmed():
    """Delete subscribers who never confirmed (daily)."""
    return subscriptions.purge_unconfirmed()
