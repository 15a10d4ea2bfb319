"""Secrets at rest: channel URLs and webhook signing secrets are stored encrypted with a key derived from SECRET_KEY.

Fernet (AES-128-CBC with HMAC-SHA256) keyed by HKDF-SHA256 over SECRET_KEY; the keys of SECRET_KEY_FALLBACKS still
decrypt, so a key rotation that keeps the old key as a fallback loses nothing.
"""

import base64
import secrets as random
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SALT = b"offpeak.endpoints.secrets"
WEBHOOK_SECRET_PREFIX = "whsec_"


class CannotDecrypt(Exception):
    """The stored value was encrypted under a key that is no longer SECRET_KEY nor one of its fallbacks."""


def _fernet(secret_key):
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=SALT, info=b"fernet").derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _keys():
    return _keys_for(settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))


@lru_cache(maxsize=4)
def _keys_for(secret_key, fallbacks):
    """The keys derived once per SECRET_KEY and fallbacks (HKDF costs more than the decryption)."""
    return MultiFernet([_fernet(key) for key in [secret_key, *fallbacks]])


def encrypt(text):
    return _keys().encrypt(text.encode()).decode("ascii")


def decrypt(token):
    try:
        return _keys().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise CannotDecrypt("the stored secret cannot be decrypted with SECRET_KEY or its fallbacks") from None


def new_webhook_secret():
    """A Standard Webhooks signing secret: ``whsec_`` and 32 random bytes in base64."""
    return WEBHOOK_SECRET_PREFIX + base64.b64encode(random.token_bytes(32)).decode("ascii")
