"""The owner's pages: confirm a webhook subscription, unsubscribe it (signed links, a button to press)."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from endpoints import notices, subscriptions
from endpoints.models import WebhookSubscription
from notifications import tokens


def _subscription(request, purpose, token):
    try:
        key = tokens.read(purpose, token)
    except tokens.BadToken:
        message = _("This link is not valid or has expired. Nothing was changed.")
        return None, render(request, "endpoints/error.html", {"message": message}, status=400)
    subscription = WebhookSubscription.objects.filter(key=key).first()
    if subscription is None:
        message = _("This webhook subscription no longer exists.")
        return None, render(request, "endpoints/error.html", {"message": message}, status=404)
    return subscription, None


@require_http_methods(["GET", "POST"])
def confirm(request, token):
    """GET asks (mail scanners follow links), POST confirms."""
    subscription, error = _subscription(request, notices.CONFIRM, token)
    if error:
        return error
    if request.method == "POST":
        subscriptions.confirm(subscription)
        subscription.refresh_from_db()
        return render(request, "endpoints/done.html", {"subscription": subscription, "action": "confirmed"})
    return render(request, "endpoints/confirm.html", {"subscription": subscription, "action": "confirm"})


@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    subscription, error = _subscription(request, notices.UNSUBSCRIBE, token)
    if error:
        return error
    if request.method == "POST":
        subscriptions.unsubscribe(subscription)
        subscription.refresh_from_db()
        return render(request, "endpoints/done.html", {"subscription": subscription, "action": "unsubscribed"})
    return render(request, "endpoints/confirm.html", {"subscription": subscription, "action": "unsubscribe"})
