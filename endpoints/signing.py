"""Standard Webhooks signatures (https://www.standardwebhooks.com/), made with the ``standardwebhooks`` library."""

from standardwebhooks.webhooks import Webhook


def headers(secret, message_id, when, body):
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers of ``body`` (bytes) sent at
    ``when``; ``message_id`` is the same for every attempt of one delivery."""
    seconds = int(when.timestamp())
    signature = Webhook(secret).sign(message_id, when, body.decode("utf-8"))
    return {"webhook-id": message_id, "webhook-timestamp": str(seconds), "webhook-signature": signature}
