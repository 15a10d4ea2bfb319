"""Email addresses: the form we store, the canonical form we compare, and the keyed hash we keep after deletion.

We store the domain in lower-case ASCII (IDN to punycode) and the local part as typed. Two addresses are the same
mailbox when their canonical forms are equal: the stored form with the local part lower-cased. Rate limits, look-ups
and the one-subscriber-per-address constraint use the canonical form. Only addresses with a public domain are
accepted: no ``localhost``, no IP literal, no single-label or reserved-for-local-use domain.
"""

import ipaddress

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from maintenance.validators import has_unsafe_characters

# Top-level names that never reach the public internet (RFC 2606, RFC 6761, RFC 6762, RFC 8375, ICANN's .internal).
LOCAL_SUFFIXES = ("localhost", "local", "localdomain", "test", "invalid", "internal", "home.arpa", "lan", "onion")
HASH_SALT = "offpeak.notifications.address"


def normalise_email(value):
    """Return the stored form of ``value`` or raise ValidationError with a sentence for people."""
    if not isinstance(value, str):
        raise ValidationError(_("Enter an email address."), code="invalid")
    if has_unsafe_characters(value):
        raise ValidationError(_("The address contains line breaks or control characters."), code="unsafe")
    value = value.strip()
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain:
        raise ValidationError(_("Enter a valid email address."), code="invalid")
    if not is_public_domain(domain):
        raise ValidationError(_("Use an address at a public internet domain."), code="not_public")
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError(_("The domain of this address is not valid."), code="invalid") from None
    address = f"{local}@{domain}"
    if len(address) > 254:
        raise ValidationError(_("The address is too long."), code="invalid")
    try:
        validate_email(address)
    except ValidationError:
        raise ValidationError(_("Enter a valid email address."), code="invalid") from None
    return address


def is_public_domain(domain):
    """False for an IP literal or address, a single label, and names reserved for local or test use."""
    domain = domain.strip().rstrip(".").lower()
    if domain.startswith("[") or domain.endswith("]"):
        return False
    try:
        ipaddress.ip_address(domain)
    except ValueError:
        pass
    else:
        return False
    if "." not in domain:
        return False
    return not any(domain == suffix or domain.endswith("." + suffix) for suffix in LOCAL_SUFFIXES)


def canonical(address):
    """The form two spellings of one mailbox share: ``Ada@Example.COM`` and ``ada@example.com`` are one address.

    ``address`` may be stored or raw; the domain is IDNA-encoded and lower-cased, the local part lower-cased.
    """
    local, _at, domain = address.strip().rpartition("@")
    try:
        domain = domain.encode("idna").decode("ascii")
    except UnicodeError:
        pass  # only stored (already valid) addresses and ESP reports come here; keep what we were given
    return f"{local.lower()}@{domain.lower()}"


def address_hash(address, secret=None):
    """A keyed hash of the canonical address (HMAC-SHA256 under a key derived from SECRET_KEY): no address in it."""
    return salted_hmac(HASH_SALT, canonical(address), secret=secret, algorithm="sha256").hexdigest()


def address_hashes(address):
    """The hash under SECRET_KEY and under each of SECRET_KEY_FALLBACKS, so a key rotation keeps suppressions."""
    return [address_hash(address)] + [
        address_hash(address, secret=key) for key in getattr(settings, "SECRET_KEY_FALLBACKS", [])
    ]
