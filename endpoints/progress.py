"""How far delivery to the endpoints has got: per endpoint, and per window for the release-night page."""

from django.db.models import Count, OuterRef, Q, Subquery
from django.utils.translation import gettext as _

from endpoints.events import WINDOW_ACTIONS, component_key, event_key
from endpoints.models import Channel, EndpointDelivery, WebhookSubscription
from endpoints.outbox import STREAM_KINDS, WAITING
from maintenance.models import AuditEvent


def endpoint_progress():
    """Per endpoint with deliveries: sent, pending, retrying and failed counts and its last error, failing first.

    Two queries: one per kind of endpoint.
    """
    stream = Q(deliveries__kind__in=STREAM_KINDS)
    counts = {
        "sent": Count("deliveries", filter=stream & Q(deliveries__status=EndpointDelivery.Status.SENT)),
        "pending": Count("deliveries", filter=stream & Q(deliveries__status__in=WAITING, deliveries__attempts=0)),
        "retrying": Count("deliveries", filter=stream & Q(deliveries__status__in=WAITING, deliveries__attempts__gt=0)),
        "failed": Count("deliveries", filter=stream & Q(deliveries__status=EndpointDelivery.Status.FAILED)),
    }
    rows = []
    for subscription in WebhookSubscription.objects.filter(
        pk__in=EndpointDelivery.objects.values("subscription_id")
    ).annotate(**counts):
        rows.append(_progress_row(_("webhook"), subscription.url, subscription.get_state_display(), subscription))
        rows[-1]["last_error"] = subscription.last_error
    channel_error = (
        EndpointDelivery.objects.filter(channel=OuterRef("pk"), status__in=[*WAITING, EndpointDelivery.Status.FAILED])
        .exclude(last_error="")
        .order_by("-id")
        .values("last_error")[:1]
    )
    channel_rows = Channel.objects.filter(pk__in=EndpointDelivery.objects.values("channel_id"))
    for channel in channel_rows.annotate(**counts, error=Subquery(channel_error)):
        state = _("active") if channel.active else _("inactive")
        rows.append(_progress_row(_("channel"), f"{channel.name} ({channel.url_hint})", state, channel))
        rows[-1]["last_error"] = channel.error or ""
    return sorted(rows, key=lambda row: (not row["last_error"], -row["failed"] - row["retrying"], row["name"]))


def _progress_row(kind, name, state, endpoint):
    return {
        "kind": kind,
        "name": name,
        "state": state,
        **{key: getattr(endpoint, key) for key in ("sent", "pending", "retrying", "failed")},
    }


def window_progress(windows):
    """``{window_id: [row, ...]}``: the webhooks and chat messages about each window's news, as the release-night
    page shows a kind of notice (``kind``, ``label``, ``sent``, ``pending``, ``failed``, ``other``, ``total``).
    Two queries."""
    keys = {}
    for event in AuditEvent.objects.filter(window__in=windows, action__in=WINDOW_ACTIONS).select_related("window"):
        keys[event_key(event)] = event.window_id
        keys[component_key(event, event.window.region_id)] = event.window_id
    counts = {}
    rows = (
        EndpointDelivery.objects.filter(event__in=list(keys), kind=EndpointDelivery.Kind.EVENT)
        .annotate(chat=Q(channel__isnull=False))
        .values("event", "chat", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        by_status = counts.setdefault(
            (keys[row["event"]], row["chat"]), dict.fromkeys(EndpointDelivery.Status.values, 0)
        )
        by_status[row["status"]] += row["n"]
    progress = {}
    for (window_id, chat), by_status in sorted(counts.items()):
        progress.setdefault(window_id, []).append(
            {
                "kind": "chat" if chat else "webhook",
                "label": _("Chat channels") if chat else _("Webhooks"),
                "sent": by_status["sent"],
                "pending": by_status["pending"] + by_status["sending"],
                "failed": by_status["failed"],
                "other": by_status["skipped"],
                "total": sum(by_status.values()),
            }
        )
    return progress
