"""Standard Webhooks signatures (https://www.standardwebhooks.com/), made with the ``standardwebhooks`` library."""

from functools import lru_cache

from standardwebhooks.webhooks import Webhook

SIGNERS = 4096  # signing keys kept decoded, one per secret


@lru_cache(maxsize=SIGNERS)
def signer(secret):
    """The library's signer for ``secret``, its key decoded once rather than once per message."""
    return Webhook(secret)


def headers(secret, message_id, when, body):
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers of ``body`` (bytes) sent at
    ``when``; ``message_id`` is the same for every attempt of one delivery."""
    seconds = int(when.timestamp())
    signature = signer(secret).sign(message_id, when, body.decode("utf-8"))
    return {"webhook-id": message_id, "webhook-timestamp": str(seconds), "webhook-signature": signature}
