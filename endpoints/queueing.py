"""The endpoint tasks, by name, published through notifications' queueing (NOTIFY_QUEUE, after commit)."""

from notifications.queueing import publish, publish_on_commit

SCHEDULE_DUE = "endpoints.tasks.schedule_due"
SEND_CHUNK = "endpoints.tasks.send_chunk"


def send_chunk(ids):
    """Publish a send task for these rows now; the broker's error, if any, goes to the caller."""
    publish(SEND_CHUNK, [list(ids)])


def schedule_due_on_commit():
    """Ask for a "what is due" run once the transaction commits; a broker that is down fails nothing."""
    publish_on_commit(SCHEDULE_DUE, retry=False)
