"""The one builder of notification emails.

``build_message(delivery)`` returns the ``EmailMultiAlternatives`` for one outbox row. Sending is elsewhere.

A fan-out sends the same text to many people. The builder renders the templates once per group (kind, language,
zone, window, sequence, lead) with placeholders where the per-recipient links go, and then only substitutes the
links for each recipient. Pass one ``RenderCache`` for a whole batch to get that.
"""

import copy
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maintenance import dates, ics
from maintenance.models import Window
from notifications import tokens
from notifications.models import Delivery, Subscriber

# Stand-ins for the per-recipient links; letters and digits only, so escaping never changes them.
MANAGE_URL = "XOFFPEAKMANAGEURLX"
UNSUBSCRIBE_URL = "XOFFPEAKUNSUBSCRIBEURLX"
CONFIRM_URL = "XOFFPEAKCONFIRMURLX"
KINDS = [kind.value for kind in Delivery.Kind if kind not in Delivery.INCIDENT_KINDS]  # incident_emails builds those


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass
class RenderCache:
    """Rendered groups and calendar attachments, shared by the messages of one batch."""

    groups: dict = field(default_factory=dict)
    calendars: dict = field(default_factory=dict)


MESSAGE_ID_SALT = "offpeak.notifications.message-id"


def host():
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def absolute(path):
    return f"{settings.SITE_URL}{path}"


def _url_prefix(name):
    """The absolute URL of a signed page up to its token, reversed once per process."""
    key = (name, settings.SITE_URL)
    prefix = _PREFIXES.get(key)
    if prefix is None:
        prefix = _PREFIXES[key] = absolute(reverse(f"notifications:{name}", args=["TOKEN"])).removesuffix("TOKEN/")
    return prefix


_PREFIXES = {}


def subscriber_links(subscriber, confirm=False):
    """The signed manage and unsubscribe URLs (and the confirm URL when asked) for one subscriber."""
    links = {
        MANAGE_URL: f"{_url_prefix('manage')}{tokens.make(tokens.MANAGE, subscriber.key)}/",
        UNSUBSCRIBE_URL: f"{_url_prefix('unsubscribe')}{tokens.make(tokens.UNSUBSCRIBE, subscriber.key)}/",
    }
    if confirm:
        links[CONFIRM_URL] = f"{_url_prefix('confirm')}{tokens.make(tokens.CONFIRM, subscriber.key)}/"
    return links


def reader_zone(window, subscriber_zone):
    """The zone a subscriber reads dates in: their own when set, else the region's."""
    return ZoneInfo(subscriber_zone) if subscriber_zone else window.region.zone


def previous_times(window):
    """(start, end) the window had before its latest reschedule or extension, or None when it never moved."""
    event = window.audit_events.filter(action__in=["reschedule", "extend"]).order_by("-created_at", "-id").first()
    if event is None:
        return None
    old = {}
    for name in ("starts_at", "ends_at"):
        change = event.changes.get(name)
        old[name] = datetime.fromisoformat(change[0]) if change and change[0] else getattr(window, name)
    return old["starts_at"], old["ends_at"]


def time_rows(window, subscriber_zone, starts_at=None, ends_at=None):
    """(label, start, end) in the subscriber's zone (when set and different), the region's zone and UTC.

    ``starts_at`` and ``ends_at`` default to the window's current times.
    """
    starts_at = starts_at or window.starts_at
    ends_at = ends_at or window.ends_at
    region_zone = window.region.zone
    rows = []
    if subscriber_zone and subscriber_zone != window.region.timezone:
        zone = ZoneInfo(subscriber_zone)
        rows.append((_("Your time (%(zone)s)") % {"zone": subscriber_zone}, zone))
    rows.append(
        (_("%(region)s time (%(zone)s)") % {"region": window.region.name, "zone": window.region.timezone}, region_zone)
    )
    rows.append(("UTC", ZoneInfo("UTC")))
    return [
        {"label": label, "start": dates.instant(starts_at, zone), "end": dates.instant(ends_at, zone)}
        for label, zone in rows
    ]


def lead_text(minutes):
    if minutes and minutes % 60 == 0:
        hours = minutes // 60
        return ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours}
    return ngettext("%(n)d minute", "%(n)d minutes", minutes) % {"n": minutes}


def render_group(kind, language, zone, window, lead_minutes, subscriber=None):
    """Render subject, text and HTML for a group, with placeholders for the links."""
    context = {
        "kind": kind,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
        "manage_url": MANAGE_URL,
        "unsubscribe_url": UNSUBSCRIBE_URL,
        "confirm_url": CONFIRM_URL,
        "subscribe_url": absolute(reverse("notifications:subscribe")),
    }
    with translation.override(language):
        if window is not None:
            context.update(
                window=window,
                region=window.region,
                title=window.display_title(),
                summary=window.summary_in(language),
                times=time_rows(window, zone),
                minutes=int(window.duration.total_seconds() // 60),
                window_url=absolute(f"/windows/{window.pk}/"),
                lead=lead_text(lead_minutes) if lead_minutes else "",
                actual_start=dates.instant(window.actual_start, ZoneInfo("UTC")) if window.actual_start else "",
                actual_end=dates.instant(window.actual_end, ZoneInfo("UTC")) if window.actual_end else "",
                date=dates.month_day(window.starts_at, reader_zone(window, zone)),
                end_time=dates.instant(window.ends_at, reader_zone(window, zone)),
            )
            if kind in (Delivery.Kind.RESCHEDULED, Delivery.Kind.EXTENDED):
                before = previous_times(window)
                if before is not None:
                    context["old_times"] = time_rows(window, zone, *before)
                    context["old_end_time"] = dates.instant(before[1], reader_zone(window, zone))
        if subscriber is not None:
            regions = getattr(subscriber, "preview_regions", None)
            if regions is None:
                regions = list(subscriber.regions.all())
            context["regions"] = [region.name for region in regions]
        subject = render_to_string(f"emails/{kind}/subject.txt", context)
        text = render_to_string(f"emails/{kind}/body.txt", context)
        html = render_to_string(f"emails/{kind}/body.html", context)
    return Rendered(subject=" ".join(subject.split()), text=text, html=html)


def message_ids(delivery):
    """(Message-ID, thread root): stable per outbox key, so a re-send carries the same id and threads per window.

    Both are opaque: a keyed hash (under SECRET_KEY) of the outbox key and the subscriber's random key, so a
    Message-ID tells nobody how many subscribers there are or which one this is.
    """
    domain = host()
    person = delivery.subscriber.key.hex
    if delivery.window_id is None:
        return f"<{_opaque(delivery.kind, delivery.sequence, person)}@{domain}>", None
    own = _opaque(delivery.window_id, delivery.kind, delivery.sequence, delivery.lead_minutes, person)
    return f"<{own}@{domain}>", f"<{_opaque('thread', delivery.window_id, person)}@{domain}>"


def _opaque(*parts):
    return salted_hmac(MESSAGE_ID_SALT, "|".join(str(part) for part in parts), algorithm="sha256").hexdigest()[:32]


def calendar_part(window, cache, language):
    """The window as a one-event calendar from the site's one iCalendar builder: PUBLISH, or CANCEL once cancelled;
    its title and release summary in the reader's language."""
    method = ics.CANCEL if window.status == Window.Status.CANCELLED else ics.PUBLISH
    key = (window.pk, window.sequence, window.status, language)
    if key not in cache.calendars:
        with translation.override(language):
            calendar = ics.build_calendar([window], settings.SITE_URL, window.display_title(), method, refresh=None)
        cache.calendars[key] = calendar.to_ical().decode("utf-8")
    part = MIMEText(cache.calendars[key], "calendar", "utf-8")
    part.set_param("method", method)
    part.add_header("Content-Disposition", "attachment", filename=f"window-{window.pk}.ics")
    return part


def build_message(delivery, cache=None, connection=None):
    """The email for one outbox row, exactly as it is handed to the mail backend."""
    cache = cache if cache is not None else RenderCache()
    subscriber = delivery.subscriber
    window = delivery.window
    if window is None:
        # Confirmation mails name the subscriber's own regions: one render per person.
        rendered = render_group(delivery.kind, subscriber.language, subscriber.timezone, None, 0, subscriber)
    else:
        key = (
            delivery.kind,
            subscriber.language,
            subscriber.timezone,
            window.pk,
            window.sequence,
            delivery.lead_minutes,
        )
        rendered = cache.groups.get(key)
        if rendered is None:
            rendered = render_group(
                delivery.kind, subscriber.language, subscriber.timezone, window, delivery.lead_minutes
            )
            cache.groups[key] = rendered
    links = subscriber_links(subscriber, confirm=delivery.kind == Delivery.Kind.CONFIRM)
    text, html = rendered.text, rendered.html
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
        html = html.replace(placeholder, url)
    own_id, root_id = message_ids(delivery)
    headers = {"Message-ID": own_id, "Auto-Submitted": "auto-generated"}
    if root_id:
        headers["References"] = root_id
        headers["In-Reply-To"] = root_id
    if delivery.kind != Delivery.Kind.CONFIRM:
        headers["List-Unsubscribe"] = f"<{links[UNSUBSCRIBE_URL]}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscriber.email],
        headers=headers,
        connection=connection,
    )
    message.attach_alternative(html, "text/html")
    if window is not None:
        message.attach(calendar_part(window, cache, subscriber.language))
    return message


def preview_message(window, kind, language):
    """The message a subscriber with no zone of their own would get, for a release manager to check first.

    A planned window is shown as it will be once announced (scheduled, sequence + 1), and so on for a cancellation.
    """
    shown = copy.copy(window)
    if kind == Delivery.Kind.ANNOUNCEMENT and window.status == Window.Status.PLANNED:
        shown.status, shown.sequence, shown.announced_at = Window.Status.SCHEDULED, window.sequence + 1, timezone.now()
    elif kind == Delivery.Kind.CANCELLED and window.status != Window.Status.CANCELLED:
        shown.status, shown.sequence = Window.Status.CANCELLED, window.sequence + 1
    elif kind == Delivery.Kind.RESCHEDULED and window.status in (Window.Status.PLANNED, Window.Status.SCHEDULED):
        shown.status, shown.sequence = Window.Status.SCHEDULED, window.sequence + 1
    subscriber = Subscriber(email="subscriber@example.com", language=language, timezone="", key=uuid.uuid4())
    subscriber.preview_regions = [window.region]
    personal = kind in (Delivery.Kind.CONFIRM, Delivery.Kind.ALREADY_SUBSCRIBED)
    lead = 0
    if kind == Delivery.Kind.REMINDER:  # the shortest lead
        lead = int(min(settings.NOTIFY_REMINDER_LEADS, default=timedelta(hours=24)).total_seconds()) // 60
    delivery = Delivery(
        window=None if personal else shown,
        subscriber=subscriber,
        kind=kind,
        sequence=1 if personal else shown.sequence,
        lead_minutes=lead,
    )
    return build_message(delivery)
