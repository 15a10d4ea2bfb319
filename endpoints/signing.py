"""Standard Webhooks signatures (https://www.standardwebhooks.com/): ``v1,`` and the base64 HMAC-SHA256, under the
secret's key, of ``<webhook-id>.<timestamp>.<body>``. The tests and the bench check them with the
``standardwebhooks`` library."""

import base64
import hashlib
import hmac
from functools import lru_cache

SIGNERS = 4096  # keys kept as HMAC objects, one per secret
SECRET_PREFIX = "whsec_"


@lru_cache(maxsize=SIGNERS)
def signer(secret):
    """An HMAC-SHA256 object keyed with ``secret`` and fed nothing: each message signs a copy of it, so the key is
    decoded and hashed into the HMAC's pads once per secret rather than once per message."""
    # As the library reads a secret: the base64 after the prefix, padded in case it is not.
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX) + "==")
    if not key:
        raise ValueError("webhook secret may not be empty")
    return hmac.new(key, digestmod=hashlib.sha256)


def headers(secret, message_id, when, body):
    """The ``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` headers of ``body`` (bytes) sent at
    ``when``; ``message_id`` is the same for every attempt of one delivery."""
    seconds = str(int(when.timestamp()))
    mac = signer(secret).copy()
    mac.update(f"{message_id}.{seconds}.".encode())
    mac.update(body)
    signature = "v1," + base64.b64encode(mac.digest()).decode("ascii")
    return {"webhook-id": message_id, "webhook-timestamp": seconds, "webhook-signature": signature}
