"""The subscription pages: subscribe, confirm, manage and unsubscribe (with the RFC 8058 one-click POST)."""

from django.conf import settings
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods
from django_ratelimit.core import is_ratelimited

from notifications import subscriptions, tokens
from notifications.addresses import canonical
from notifications.forms import PreferencesForm, SubscribeForm
from notifications.models import Subscriber


def body_too_large(request):
    limit = settings.SUBSCRIBE_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    return declared > limit or len(request.body) > limit


def rate_limited(request, email=None):
    """Count this request against the client's IP and, when known, the address; True if either is over."""
    if is_ratelimited(request, group="subscribe-ip", key="ip", rate=settings.SUBSCRIBE_RATE_PER_IP, increment=True):
        return True
    if email and is_ratelimited(
        request,
        group="subscribe-address",
        key=lambda group, req: canonical(email),  # TARGET@ and target@ are one mailbox, and one budget
        rate=settings.SUBSCRIBE_RATE_PER_ADDRESS,
        increment=True,
    ):
        return True
    return False


@require_http_methods(["GET", "POST"])
def subscribe(request):
    if request.method == "GET":
        language = translation.get_language() if translation.get_language() in Subscriber.Language.values else "en"
        return render(
            request,
            "subscriptions/subscribe.html",
            {"form": SubscribeForm.for_visitor(language, request.GET.get("region"))},
        )
    if body_too_large(request):
        message = _("The form is larger than %(limit)d bytes.") % {"limit": settings.SUBSCRIBE_MAX_BODY_BYTES}
        return error_page(request, message, status=400)
    form = SubscribeForm(request.POST)
    if form.is_bot:
        return render(request, "subscriptions/subscribe.html", {"done": True})
    if not form.is_valid():
        if rate_limited(request):
            return error_page(request, _("Too many requests; please try again later."), status=429)
        return render(request, "subscriptions/subscribe.html", {"form": form}, status=400)
    if rate_limited(request, form.cleaned_data["email"]):
        return error_page(request, _("Too many requests; please try again later."), status=429)
    data = form.cleaned_data
    subscriptions.subscribe(
        data["email"],
        data["regions"],
        data["language"],
        data["timezone"],
        data["notify_start_end"],
        **form.topic_flags(default={}),
    )
    return render(request, "subscriptions/subscribe.html", {"done": True})


def error_page(request, message, status):
    return render(request, "subscriptions/error.html", {"message": message}, status=status)


def _subscriber(request, purpose, token):
    """(subscriber, None) for a good token, or (None, error response): 400 if bad or expired, 404 if gone."""
    try:
        key = tokens.read(purpose, token)
    except tokens.BadToken:
        return None, error_page(request, _("This link is not valid or has expired. Nothing was changed."), status=400)
    subscriber = Subscriber.objects.filter(key=key).first()
    if subscriber is None:
        return None, error_page(
            request, _("We hold no subscription for this link any more. Nothing was changed."), status=404
        )
    return subscriber, None


@require_http_methods(["GET", "HEAD", "POST"])
def confirm(request, token):
    """GET (and HEAD) show one button and change nothing, as mail scanners fetch links; the button's POST confirms."""
    subscriber, error = _subscriber(request, tokens.CONFIRM, token)
    if error:
        return error
    if request.method != "POST":
        with translation.override(subscriber.language):
            return render(request, "subscriptions/confirm.html", {"subscriber": subscriber})
    subscriptions.confirm(subscriber)
    with translation.override(subscriber.language):
        return render(
            request,
            "subscriptions/confirmed.html",
            {
                "subscriber": subscriber,
                "manage_url": reverse("notifications:manage", args=[tokens.make(tokens.MANAGE, subscriber.key)]),
            },
        )


@require_http_methods(["GET", "POST"])
def manage(request, token):
    subscriber, error = _subscriber(request, tokens.MANAGE, token)
    if error:
        return error
    with translation.override(subscriber.language):
        if request.method == "POST" and request.POST.get("action") == "delete":
            subscriptions.forget(subscriber)
            return render(request, "subscriptions/deleted.html")
        if request.method == "POST":
            form = PreferencesForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                subscriptions.update(
                    subscriber,
                    data["regions"],
                    data["language"],
                    data["timezone"],
                    data["notify_start_end"],
                    **form.topic_flags(default={}),
                )
                return redirect(f"{request.path}?saved=1")
            status = 400
        else:
            form = PreferencesForm(
                initial={
                    "regions": [region.slug for region in subscriber.regions.all()],
                    "language": subscriber.language,
                    "timezone": subscriber.timezone,
                    "notify_start_end": subscriber.notify_start_end,
                    "topics": [
                        topic
                        for topic, chosen in (
                            ("maintenance", subscriber.topic_maintenance),
                            ("incidents", subscriber.topic_incidents),
                        )
                        if chosen
                    ],
                }
            )
            status = 200
        return render(
            request,
            "subscriptions/manage.html",
            {
                "subscriber": subscriber,
                "form": form,
                "saved": request.GET.get("saved") == "1",
                "unsubscribe_url": reverse(
                    "notifications:unsubscribe", args=[tokens.make(tokens.UNSUBSCRIBE, subscriber.key)]
                ),
            },
            status=status,
        )


@csrf_exempt  # RFC 8058: mail providers POST here without a session; the signed token is the credential
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token):
    """GET shows a button and changes nothing; POST (button or one-click client) unsubscribes: 200, no redirect."""
    subscriber, error = _subscriber(request, tokens.UNSUBSCRIBE, token)
    if error:
        return error
    with translation.override(subscriber.language):
        if request.method == "GET":
            return render(request, "subscriptions/unsubscribe.html", {"subscriber": subscriber})
        subscriptions.unsubscribe(subscriber, reason="one-click" if _one_click(request) else "unsubscribe page")
        return render(request, "subscriptions/unsubscribed.html", {"subscriber": subscriber})


def _one_click(request):
    return request.POST.get("List-Unsubscribe") == "One-Click"
