"""The emails to a webhook subscription's owner: confirm it, it keeps failing, it was disabled.

Built from ``templates/endpoints/emails/<kind>/subject.txt`` and ``body.txt``, in the site's language, and sent
only by the outbox (``endpoints.outbox``) from an EndpointDelivery row.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse

from notifications import tokens

CONFIRM = "offpeak.webhook.confirm"
UNSUBSCRIBE = "offpeak.webhook.unsubscribe"


def confirm_url(subscription):
    return settings.SITE_URL + reverse("endpoints:confirm", args=[tokens.make(CONFIRM, subscription.key)])


def unsubscribe_url(subscription):
    return _unsubscribe_link(tokens.make(UNSUBSCRIBE, subscription.key))


def unsubscribe_urls():
    """``unsubscribe_url`` for many subscriptions: the URL is reversed once, each token put in its place."""
    before, _mark, after = _unsubscribe_link("\u0000").rpartition("%00")
    return lambda subscription: f"{before}{tokens.make(UNSUBSCRIBE, subscription.key)}{after}"


def _unsubscribe_link(token):
    return settings.SITE_URL + reverse("endpoints:unsubscribe", args=[token])


def build_notice(delivery, connection=None):
    """The email of an owner's row (kind confirm, failing or disabled)."""
    subscription = delivery.subscription
    context = {
        "site_name": settings.SITE_NAME,
        "subscription": subscription,
        "topics": ", ".join(subscription.topics),
        "regions": ", ".join(region.name for region in subscription.regions.all()),
        "confirm_url": confirm_url(subscription),
        "unsubscribe_url": unsubscribe_url(subscription),
        "retry_hours": settings.WEBHOOK_RETRY_HOURS,
    }
    folder = f"endpoints/emails/{delivery.kind}"
    subject = " ".join(render_to_string(f"{folder}/subject.txt", context).split())
    body = render_to_string(f"{folder}/body.txt", context)
    return EmailMessage(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.owner_email],
        headers={"Auto-Submitted": "auto-generated", "X-Offpeak-Webhook": str(subscription.pk)},
        connection=connection,
    )
