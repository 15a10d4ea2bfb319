"""What a failed send means: every error is turned into a DeliveryError that says whether trying again can help."""

import smtplib
import socket

from anymail.exceptions import AnymailAPIError, AnymailInvalidAddress, AnymailRecipientsRefused


class DeliveryError(Exception):
    """A message could not be handed over. ``permanent`` errors are recorded; the others are retried."""

    def __init__(self, reason, *, permanent):
        super().__init__(reason)
        self.reason = str(reason)[:500]
        self.permanent = permanent


def classify(exc):
    """Turn whatever a mail backend raised into a DeliveryError."""
    if isinstance(exc, DeliveryError):
        return exc
    name = type(exc).__name__
    if isinstance(exc, AnymailRecipientsRefused | AnymailInvalidAddress | smtplib.SMTPRecipientsRefused):
        return DeliveryError(f"{name}: {exc}", permanent=True)
    if isinstance(exc, smtplib.SMTPResponseException):
        # 5xx is a refusal that will not change; 4xx is "try again later".
        return DeliveryError(f"SMTP {exc.smtp_code}: {exc.smtp_error!r}", permanent=500 <= exc.smtp_code < 600)
    if isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        transient = status is None or status == 429 or status >= 500 or status == 408
        return DeliveryError(f"{name} ({status}): {exc}", permanent=not transient)
    if isinstance(exc, smtplib.SMTPException | ConnectionError | TimeoutError | socket.error):
        return DeliveryError(f"{name}: {exc}", permanent=False)
    if isinstance(exc, ValueError | TypeError | UnicodeError):
        # The message itself cannot be built or encoded; sending it again gives the same answer.
        return DeliveryError(f"{name}: {exc}", permanent=True)
    return DeliveryError(f"{name}: {exc}", permanent=False)


def check_status(message):
    """Raise a permanent DeliveryError when an ESP accepted the call but refused this recipient."""
    status = getattr(message, "anymail_status", None)
    if status is None or not status.status:
        return None
    if status.status <= {"rejected", "invalid"}:
        raise DeliveryError(f"ESP status {', '.join(sorted(status.status))}", permanent=True)
    message_id = status.message_id
    if isinstance(message_id, set | frozenset | list | tuple):
        message_id = ",".join(sorted(str(part) for part in message_id if part is not None))
    return str(message_id) if message_id not in (None, "") else None
