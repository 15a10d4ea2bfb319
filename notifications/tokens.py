"""Signed links: one salt per purpose, so a token made for one page opens no other.

A token is exactly what ``django.core.signing.TimestampSigner(salt=purpose).sign()`` makes, and is read with it. A
fan-out signs two links for every recipient, so the HMAC key that Django derives from the salt and SECRET_KEY on
every call is derived once here and kept (``keyed_digest``).
"""

import base64
import hashlib
import hmac
import time
from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core import signing
from django.utils.encoding import force_bytes

CONFIRM = "offpeak.subscription.confirm"
MANAGE = "offpeak.subscription.manage"
UNSUBSCRIBE = "offpeak.subscription.unsubscribe"
PURPOSES = {CONFIRM, MANAGE, UNSUBSCRIBE}


class BadToken(Exception):
    """The token was tampered with, made for another purpose, or has expired."""


def keyed_digest(key_salt, value):
    """``django.utils.crypto.salted_hmac(key_salt, value, algorithm="sha256").digest()`` under SECRET_KEY, with the
    key derived once per (salt, secret) rather than on every call."""
    secret = settings.SECRET_KEY
    key = _KEYS.get((key_salt, secret))
    if key is None:
        key = _KEYS[(key_salt, secret)] = hashlib.sha256(force_bytes(key_salt) + force_bytes(secret)).digest()
    return hmac.digest(key, value.encode() if value.__class__ is str else force_bytes(value), "sha256")


_KEYS = {}


def _stamp():
    """``signing.b62_encode(int(time.time()))``, the signer's timestamp, encoded once per second."""
    now = int(time.time())
    if _STAMP[0] != now:
        _STAMP[:] = [now, signing.b62_encode(now)]
    return _STAMP[1]


_STAMP = [None, ""]


def make(purpose, key):
    """A URL-safe token carrying the subscriber's key: ``TimestampSigner(salt=purpose).sign(key.hex)``."""
    value = f"{(key if isinstance(key, UUID) else UUID(str(key))).hex}:{_stamp()}"
    signature = base64.urlsafe_b64encode(keyed_digest(purpose + "signer", value)).rstrip(b"=").decode()
    return f"{value}:{signature}"


def max_age(purpose):
    days = settings.SUBSCRIPTION_CONFIRM_MAX_AGE_DAYS if purpose == CONFIRM else settings.SUBSCRIPTION_LINK_MAX_AGE_DAYS
    return timedelta(days=days)


def read(purpose, token):
    """Return the subscriber key in ``token`` or raise BadToken."""
    try:
        value = signing.TimestampSigner(salt=purpose).unsign(token, max_age=max_age(purpose))
        return UUID(hex=value)
    except (signing.BadSignature, ValueError, TypeError):
        raise BadToken(purpose) from None
