"""System checks of the notifications app, run by ``manage.py check`` (``--deploy`` for the production ones)."""

from django.conf import settings
from django.core.checks import Error, Tags, register

from notifications.webhooks import anymail_tracking_view, webhook_secrets


@register(Tags.security, deploy=True)
def tracking_webhook_is_closed(app_configs, **kwargs):
    """An ESP sends tracking events only to a webhook that checks its secret; without one the webhook stays shut."""
    if not settings.ANYMAIL_ESP:
        return []
    errors = []
    secrets = webhook_secrets()
    if not secrets:
        errors.append(
            Error(
                f"ANYMAIL_ESP is {settings.ANYMAIL_ESP!r} but ANYMAIL_WEBHOOK_SECRET is not set, so the tracking "
                "webhook stays closed and bounces and complaints are never recorded.",
                hint="Set ANYMAIL_WEBHOOK_SECRET=user:long-random-password and give the ESP "
                f"https://user:password@<host>/anymail/{settings.ANYMAIL_ESP}/tracking/.",
                id="notifications.E001",
            )
        )
    elif any(":" not in secret for secret in secrets):
        errors.append(
            Error(
                "ANYMAIL_WEBHOOK_SECRET must have the form user:password (HTTP basic credentials).",
                id="notifications.E002",
            )
        )
    if anymail_tracking_view(settings.ANYMAIL_ESP) is None:
        errors.append(
            Error(
                f"anymail has no tracking webhook for ANYMAIL_ESP={settings.ANYMAIL_ESP!r}; bounces and complaints "
                "from it cannot be recorded.",
                id="notifications.E003",
            )
        )
    return errors
