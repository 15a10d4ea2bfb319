"""Celery tasks of the endpoint outbox. They take ids, never model instances, and each is safe to run twice."""

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation

from endpoints import channels, outbox, schedule
from endpoints.queueing import SCHEDULE_DUE, SEND_CHUNK
from maintenance import rule
from notifications.tasks import DATABASE_GONE


@shared_task(name=SCHEDULE_DUE, **DATABASE_GONE)
def schedule_due():
    """Create the endpoint deliveries that are due by now and queue what waits (every minute, and on news)."""
    now = timezone.now()
    made = []
    created = schedule.create_due(now, queued=made)
    queued = outbox.queue(made)  # the new events' rows, at once: the INSERT gave their ids
    queued += outbox.dispatch(now)  # and whatever else waits
    return {"created": sum(created.values()), "queued": queued}


@shared_task(name=SEND_CHUNK, **DATABASE_GONE)
def send_chunk(delivery_ids):
    """Claim and send these endpoint rows; rows already taken or done, or held back by older ones, are left alone."""
    return outbox.send_chunk(delivery_ids).summary()


@worker_init.connect
def load_before_sending(**kwargs):
    """Load, when a worker starts (before its pool forks), what its first chunk would otherwise load while its
    endpoints wait: the URL configuration, which every payload links into, the site language's catalog, apprise's
    services and the time-zone names (a payload's link names a month in a region's zone)."""
    with translation.override(settings.LANGUAGE_CODE):
        reverse("endpoints:unsubscribe", args=["x"])
    channels.load()
    rule.zone("UTC")
