"""The emails of incident notices: ``build_message(delivery)`` for an outbox row about an incident update.

A notice tells the incident as of its update: the status it moved to and the update's text, the regions affected,
when it started (and, once resolved, when it ended), then the earlier updates' text, newest first. A notice that
supersedes older unsent ones (``notifications.schedule`` explains the coalescing) so loses nothing. Times are in the
subscriber's own zone when they set one, else in UTC, and always also in UTC.

Threading: every notice has its own Message-ID, stable per (update, subscriber, channel), so a re-send carries the
same id. Every notice but the incident's first carries ``In-Reply-To`` and ``References`` naming the first notice's
Message-ID, so a mail client shows one thread per incident. The links, List-Unsubscribe headers and
``Auto-Submitted`` are those of every other notice (``notifications.emails``).

As for windows, the text shared by every recipient of one (kind, language, zone, update) is rendered once per
batch; only the per-recipient links are substituted.
"""

from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _

from maintenance import dates
from maintenance.models import Incident, IncidentUpdate
from maintenance.rule import local_month
from notifications.emails import (
    MANAGE_URL,
    MESSAGE_ID_SALT,
    UNSUBSCRIBE_URL,
    Rendered,
    absolute,
    host,
    subscriber_links,
)
from notifications.models import Delivery

UTC = ZoneInfo("UTC")
EARLIER_SHOWN = 20  # the earlier updates a notice lists; the status page has them all


@dataclass(frozen=True)
class IncidentFacts:
    """One incident as its notices tell it: the incident with its regions, and its updates oldest first."""

    incident: Incident
    regions: list
    updates: list

    @property
    def first_update_id(self):
        return self.updates[0].pk


@dataclass
class RenderCache:
    """Incidents read and groups rendered, shared by the notices of one batch."""

    incidents: dict = field(default_factory=dict)
    groups: dict = field(default_factory=dict)


def incident_facts(incident_id, cache):
    facts = cache.incidents.get(incident_id)
    if facts is None:
        incident = Incident.objects.prefetch_related("regions").get(pk=incident_id)
        regions = sorted(incident.regions.all(), key=lambda region: (region.position, region.slug))
        updates = list(IncidentUpdate.objects.filter(incident_id=incident_id).order_by("created_at", "id"))
        facts = cache.incidents[incident_id] = IncidentFacts(incident=incident, regions=regions, updates=updates)
    return facts


def incident_url(facts):
    """The incident on the history page: the month it started in, in its first region's calendar."""
    zones = [region.zone for region in facts.regions] or [UTC]
    month = min(local_month(facts.incident.started_at, zone) for zone in zones)
    return absolute(f"{reverse('history')}?month={month}#incident-{facts.incident.pk}")


def _when(instant, zone):
    """The instant in the reader's zone and, when that is not UTC, in UTC too."""
    if zone is None:
        return dates.instant(instant, UTC)
    return f"{dates.instant(instant, zone)} ({dates.instant(instant, UTC)})"


def render_group(kind, language, zone_name, facts, update):
    """Subject, text and HTML of one notice, with placeholders for the per-recipient links."""
    zone = ZoneInfo(zone_name) if zone_name else None
    incident = facts.incident
    earlier = [u for u in facts.updates if (u.created_at, u.pk) < (update.created_at, update.pk)]
    with translation.override(language):
        context = {
            "kind": kind,
            "site_name": settings.SITE_NAME,
            "site_url": settings.SITE_URL,
            "manage_url": MANAGE_URL,
            "unsubscribe_url": UNSUBSCRIBE_URL,
            "title": incident.title,
            "regions": ", ".join(region.name for region in facts.regions),
            "impact": Incident.Impact(incident.impact).label,
            "status": Incident.Status(update.status).label,
            "body": update.body,
            "posted_at": _when(update.created_at, zone),
            "started_at": _when(incident.started_at, zone),
            "resolved_at": _when(incident.resolved_at, zone)
            if kind == Delivery.Kind.INCIDENT_RESOLVED and incident.resolved_at
            else "",
            "earlier": [
                {"status": Incident.Status(u.status).label, "posted_at": _when(u.created_at, zone), "body": u.body}
                for u in reversed(earlier[-EARLIER_SHOWN:])
            ],
            "more_earlier": max(0, len(earlier) - EARLIER_SHOWN),
            "zone_note": _("Times are in your time zone (%(zone)s) and in UTC.") % {"zone": zone_name}
            if zone
            else _("Times are in UTC."),
            "incident_url": incident_url(facts),
        }
        subject = render_to_string(f"emails/{kind}/subject.txt", context)
        text = render_to_string(f"emails/{kind}/body.txt", context)
        html = render_to_string(f"emails/{kind}/body.html", context)
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)


def message_id(update_id, channel, subscriber_key):
    """The Message-ID of the notice of one update to one subscriber: an opaque keyed hash, as for windows."""
    digest = salted_hmac(
        MESSAGE_ID_SALT, f"incident-update|{update_id}|{channel}|{subscriber_key.hex}", algorithm="sha256"
    ).hexdigest()[:32]
    return f"<{digest}@{host()}>"


def message_ids(delivery, facts):
    """(own Message-ID, the incident's first notice's Message-ID or None for that first notice itself)."""
    key = delivery.subscriber.key
    own = message_id(delivery.incident_update_id, delivery.channel, key)
    if delivery.incident_update_id == facts.first_update_id:
        return own, None
    return own, message_id(facts.first_update_id, delivery.channel, key)


def build_message(delivery, cache=None, connection=None):
    """The email for one incident notice, exactly as it is handed to the mail backend."""
    cache = cache if cache is not None else RenderCache()
    subscriber = delivery.subscriber
    facts = incident_facts(delivery.incident_id, cache)
    update = next(u for u in facts.updates if u.pk == delivery.incident_update_id)
    key = (delivery.kind, subscriber.language, subscriber.timezone, update.pk)
    rendered = cache.groups.get(key)
    if rendered is None:
        rendered = cache.groups[key] = render_group(
            delivery.kind, subscriber.language, subscriber.timezone, facts, update
        )
    links = subscriber_links(subscriber)
    text, html = rendered.text, rendered.html
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
        html = html.replace(placeholder, url)
    own_id, root_id = message_ids(delivery, facts)
    headers = {
        "Message-ID": own_id,
        "Auto-Submitted": "auto-generated",
        "List-Unsubscribe": f"<{links[UNSUBSCRIBE_URL]}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }
    if root_id:
        headers["In-Reply-To"] = root_id
        headers["References"] = root_id
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    return message
