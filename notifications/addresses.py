"""Email addresses as we store them: the domain in lower-case ASCII (IDN to punycode), the local part untouched."""

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from maintenance.validators import has_unsafe_characters


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
