"""The ESP's tracking webhook, closed by default.

Only the configured ESP's tracking URL answers (``/anymail/<ANYMAIL_ESP>/tracking/``), and only once
ANYMAIL_WEBHOOK_SECRET is set: every other ESP, and every ESP while no secret is set, is a 404. A call without the
secret's HTTP basic credentials gets 401 and changes nothing; a call with them goes to anymail's own view, which
checks them again (and the ESP's signature, where it has one) and sends the ``tracking`` signal.
"""

import anymail.urls
from anymail.utils import get_anymail_setting, get_request_basic_auth
from django.conf import settings
from django.http import Http404, HttpResponse
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt


def webhook_secrets():
    """The accepted ``user:password`` strings (anymail's WEBHOOK_SECRET: one string or a list); [] when unset."""
    secrets = get_anymail_setting("webhook_secret", default=[])
    if isinstance(secrets, str):
        secrets = [secrets] if secrets else []
    return [secret for secret in secrets if secret]


def anymail_tracking_view(esp):
    """anymail's tracking view for ``esp``, or None if anymail has no tracking webhook of that name."""
    name = f"{esp}_tracking_webhook"
    return next((pattern.callback for pattern in anymail.urls.urlpatterns if pattern.name == name), None)


def configured_view():
    """The tracking view of ANYMAIL_ESP when a webhook secret is set; None means the webhook is closed."""
    if not settings.ANYMAIL_ESP or not webhook_secrets():
        return None
    return anymail_tracking_view(settings.ANYMAIL_ESP)


@csrf_exempt  # the ESP posts from its servers; the basic-auth secret is the credential
def tracking(request, esp):
    view = configured_view()
    if view is None or esp != settings.ANYMAIL_ESP:
        raise Http404("No tracking webhook here.")
    given = get_request_basic_auth(request)
    if given is None or not any(constant_time_compare(given, secret) for secret in webhook_secrets()):
        response = HttpResponse("Credentials required.\n", status=401, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Basic realm="Offpeak tracking webhook", charset="UTF-8"'
        return response
    return view(request)
