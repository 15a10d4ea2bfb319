"""System checks of the notifications app, run by ``manage.py check`` (``--deploy`` for the production ones)."""

import warnings

from django.conf import settings
from django.core.checks import Error, Tags, register
from django.core.exceptions import ImproperlyConfigured

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
    view = anymail_tracking_view(settings.ANYMAIL_ESP)
    if view is None:
        errors.append(
            Error(
                f"anymail has no tracking webhook for ANYMAIL_ESP={settings.ANYMAIL_ESP!r}; bounces and complaints "
                "from it cannot be recorded.",
                id="notifications.E003",
            )
        )
    elif secrets:
        # The view reads the ESP's own webhook settings when it is made (Mailgun's signing key, for example): make it
        # here, so a missing one stops the deploy rather than answering 500 to the ESP.
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                view.view_class(**view.view_initkwargs)
        except ImproperlyConfigured as exc:
            errors.append(
                Error(f"The {settings.ANYMAIL_ESP} tracking webhook is not configured: {exc}", id="notifications.E004")
            )
    return errors
