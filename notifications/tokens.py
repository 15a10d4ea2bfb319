"""Signed links: one salt per purpose, so a token made for one page opens no other."""

from datetime import timedelta
from uuid import UUID

from django.conf import settings
from django.core import signing

CONFIRM = "offpeak.subscription.confirm"
MANAGE = "offpeak.subscription.manage"
UNSUBSCRIBE = "offpeak.subscription.unsubscribe"
PURPOSES = {CONFIRM, MANAGE, UNSUBSCRIBE}


class BadToken(Exception):
    """The token was tampered with, made for another purpose, or has expired."""


def make(purpose, key):
    """A URL-safe token carrying the subscriber's key."""
    return signing.TimestampSigner(salt=purpose).sign(UUID(str(key)).hex)


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
