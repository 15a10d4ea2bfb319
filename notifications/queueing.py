"""Publishing the app's Celery tasks, by name, so the services never import ``tasks.py`` (which imports them).

Whatever is published here is a nudge: the rows it names are already in the database, and the beat's
``schedule_due`` finds them within a minute if the message never arrives.
"""

from celery import current_app
from django.conf import settings
from django.db import transaction

SCHEDULE_DUE = "notifications.tasks.schedule_due"
SEND_CHUNK = "notifications.tasks.send_chunk"


def publish(name, args=(), *, countdown=None, retry=True):
    """Publish the task ``name`` now, on NOTIFY_QUEUE when set; the broker's error, if any, goes to the caller."""
    options = {"queue": settings.NOTIFY_QUEUE} if settings.NOTIFY_QUEUE else {}
    if countdown:
        options["countdown"] = countdown
    if not retry:
        options["retry"] = False
    # A signature resolves to the registered task (so eager mode applies), or is sent by name to the broker.
    current_app.signature(name, args=list(args)).apply_async(**options)


def publish_on_commit(name, args=(), *, countdown=None, retry=True):
    """Publish once the current transaction commits (at once outside one).

    A broker that is down fails nothing: Django logs "Error calling <task>.apply_async in on_commit() (<error>)."
    and the caller carries on; the beat does the work instead.
    """

    def publish_after_commit():
        publish(name, args, countdown=countdown, retry=retry)

    publish_after_commit.__qualname__ = f"{name}.apply_async"  # what Django's log line names
    transaction.on_commit(publish_after_commit, robust=True)


def schedule_due_on_commit():
    """Ask for a 'what is due' run as soon as the transaction commits, failing fast if the broker is down."""
    publish_on_commit(SCHEDULE_DUE, retry=False)
