"""The one builder of notification emails.

``build_message(delivery)`` returns the ``EmailMultiAlternatives`` for one outbox row. Sending is elsewhere.

A fan-out sends the same text to many people. The builder renders the templates once per group (kind, language,
zone, window, sequence, lead) with placeholders where the per-recipient links go, and then only substitutes the
links for each recipient. Pass one ``RenderCache`` for a whole batch to get that: its messages are then
``PreparedEmail``s, whose MIME bytes are also made once per group (``notifications.mime``) and only filled in with
each recipient's headers and links. Without a cache, ``build_message`` builds the plain way, one whole message per
recipient; both give the same bytes.
"""

import copy
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.mime.text import MIMEText
from email.utils import formatdate
from html import escape
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.message import forbid_multi_line_headers
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from maintenance import dates, ics
from maintenance.models import Window
from notifications import mime, tokens
from notifications.models import Delivery, Subscriber

# Stand-ins for the per-recipient links; letters and digits only, so escaping never changes them.
MANAGE_URL = "XOFFPEAKMANAGEURLX"
UNSUBSCRIBE_URL = "XOFFPEAKUNSUBSCRIBEURLX"
CONFIRM_URL = "XOFFPEAKCONFIRMURLX"
LINKS = (MANAGE_URL, UNSUBSCRIBE_URL, CONFIRM_URL)
# A group's MIME template marks the links of its HTML part apart from those of its text: they are escaped for HTML.
HTML_STANDINS = {placeholder: f"Y{placeholder[1:-1]}Y" for placeholder in LINKS}
KINDS = [kind.value for kind in Delivery.Kind if kind not in Delivery.INCIDENT_KINDS]  # incident_emails builds those
# Groups a worker keeps between batches; when full it starts afresh (a fan-out has a handful of groups).
SHARED_GROUPS_LIMIT = 256


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


@dataclass
class RenderCache:
    """Rendered groups and calendar attachments, shared by the messages of one batch.

    ``shared``, when given, is a store that outlives the batch (``RenderCache.for_worker()``): a group found there is
    used again only if the window, its region and the settings it was rendered with are all unchanged.
    """

    groups: dict = field(default_factory=dict)
    calendars: dict = field(default_factory=dict)
    shared: dict | None = None

    @classmethod
    def for_worker(cls):
        """A cache for one batch that reuses the groups this process rendered for earlier batches."""
        return cls(shared=_SHARED_GROUPS)


_SHARED_GROUPS = {}


class Group:
    """What every recipient of one group shares: the rendered texts, the calendar part and the MIME templates."""

    def __init__(self, rendered, calendar):
        self.rendered = rendered
        self.calendar = calendar
        self.templates = {}

    def template(self, shape, linesep):
        """The MIME template for this group's messages of ``shape`` (``PreparedEmail.shape``), or None."""
        key = (shape, linesep)
        if key not in self.templates and self._marks_html_links_apart():
            from_email, encoding, names, shared = shape
            sample = _email(
                self,
                "stand-in@example.invalid",
                {name: _standin(name, value) for name, value in zip(names, shared, strict=True)},
                self.rendered.text,
                _substitute(self.rendered.html, HTML_STANDINS),
                from_email=from_email,
            )
            sample.encoding = encoding
            slots = {placeholder: f"text:{placeholder}" for placeholder in LINKS}
            slots |= {standin: f"html:{placeholder}" for placeholder, standin in HTML_STANDINS.items()}
            self.templates[key] = mime.Template.make(sample.message(), slots, linesep)
        return self.templates.get(key)

    def _marks_html_links_apart(self):
        """Whether the HTML stand-ins are free to use: a text that holds one already is built the plain way."""
        texts = (self.rendered.subject, self.rendered.text, self.rendered.html)
        return not any(standin in text for standin in HTML_STANDINS.values() for text in texts)


def _standin(name, value):
    """A header's value in a template's stand-in: its own for a header every recipient shares."""
    return f"<{name}@example.invalid>" if value is None else value


class PreparedEmail(EmailMultiAlternatives):
    """A message of a group: an ordinary ``EmailMultiAlternatives`` for every backend, whose ``message()`` fills the
    group's MIME template with this recipient's headers and links instead of building and serializing a new tree.

    If anything about the message was changed after it was built, ``message()`` builds it the plain way.
    """

    def __init__(self, group, links, **kwargs):
        super().__init__(**kwargs)
        self.group = group
        self._links = links
        self._as_built = None
        self.shape = None

    def seal(self):
        """Record the message as built: ``message()`` uses the template only while it is unchanged."""
        self._as_built = self._state()
        # What a template depends on beyond the group: the sender, the charset and the headers all recipients share.
        shared = tuple(
            value if name not in mime.RECIPIENT_HEADERS else None for name, value in self.extra_headers.items()
        )
        self.shape = (self.from_email, self.encoding, tuple(self.extra_headers), shared)

    def _state(self):
        return (
            self.subject,
            self.body,
            self.from_email,
            self.encoding,
            tuple(self.to),
            tuple(self.cc),
            tuple(self.bcc),
            tuple(self.reply_to),
            tuple(self.extra_headers.items()),
            tuple(self.alternatives),
            tuple(self.attachments),
        )

    def message(self):
        template = self.group.template(self.shape, "\n") if self._state() == self._as_built else None
        values = self._link_values() if template is not None else None
        if values is None or not template.fits(values):
            return super().message()
        headers = self._recipient_headers()
        if template.header_names != frozenset(headers):
            return super().message()
        values |= mime.boundaries(template.boundary_count)

        def render(linesep):
            filling = self.group.template(self.shape, linesep)
            if filling is None:
                return super(PreparedEmail, self).message().as_bytes(linesep=linesep)
            return filling.fill(headers, values)

        return mime.PreparedMIME(render, template.charset)

    def _link_values(self):
        """The bytes for the template's link slots, or None when a link could not go in as it is."""
        values = {}
        for placeholder, url in self._links.items():
            if not url.isascii() or not url.isprintable() or mime.BOUNDARY_MARK in url:
                return None
            values[f"text:{placeholder}"] = url.encode("ascii")
            values[f"html:{placeholder}"] = escape(url).encode("ascii")
        for placeholder in LINKS:  # a link this recipient has none of (the confirm link) stays as it is
            values.setdefault(f"text:{placeholder}", placeholder.encode("ascii"))
            values.setdefault(f"html:{placeholder}", placeholder.encode("ascii"))
        return values

    def _recipient_headers(self):
        """The raw values ``EmailMessage.message()`` would give this message's per-recipient headers."""
        encoding = self.encoding or settings.DEFAULT_CHARSET
        headers = {"To": ", ".join(str(address) for address in self.to)} if self.to else {}
        headers["Date"] = _date_header(settings.EMAIL_USE_LOCALTIME)
        for name in mime.RECIPIENT_HEADERS:
            if name in self.extra_headers:
                headers[name] = self.extra_headers[name]
        return {
            name: value if _plain_header(value) else forbid_multi_line_headers(name, value, encoding)[1]
            for name, value in headers.items()
        }


def _plain_header(value):
    """Whether ``forbid_multi_line_headers`` would return this value as it is: one line of ASCII (no Subject here)."""
    return value.__class__ is str and value.isascii() and "\n" not in value and "\r" not in value


def _date_header(localtime):
    """``formatdate(localtime=...)`` as ``EmailMessage.message()`` sets it, made once per second."""
    key = (int(time.time()), localtime)
    if _DATE[0] != key:
        _DATE[:] = [key, formatdate(key[0], localtime=localtime)]
    return _DATE[1]


_DATE = [None, ""]

MESSAGE_ID_SALT = "offpeak.notifications.message-id"


def host():
    site = settings.SITE_URL
    name = _HOSTS.get(site)
    if name is None:
        name = _HOSTS[site] = urlsplit(site).hostname or "localhost"
    return name


_HOSTS = {}


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
    return tokens.keyed_digest(MESSAGE_ID_SALT, "|".join(map(str, parts)))[:16].hex()


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


def group_of(delivery, cache):
    """The group of a window's outbox row, rendered once per batch (and once per worker with a shared store)."""
    subscriber, window = delivery.subscriber, delivery.window
    key = (delivery.kind, subscriber.language, subscriber.timezone, window.pk, window.sequence, delivery.lead_minutes)
    group = cache.groups.get(key)
    if group is not None:
        return group
    shared_key = None
    if cache.shared is not None:
        shared_key = (key, _fields_of(window), _fields_of(window.region), settings.SITE_URL, settings.SITE_NAME)
        if delivery.kind in (Delivery.Kind.RESCHEDULED, Delivery.Kind.EXTENDED):
            shared_key += (previous_times(window),)
        group = cache.shared.get(shared_key)
    if group is None:
        rendered = render_group(delivery.kind, subscriber.language, subscriber.timezone, window, delivery.lead_minutes)
        group = Group(rendered, calendar_part(window, cache, subscriber.language))
        if shared_key is not None:
            if len(cache.shared) >= SHARED_GROUPS_LIMIT:
                cache.shared.clear()
            cache.shared[shared_key] = group
    cache.groups[key] = group
    return group


def _fields_of(instance):
    """Every stored field of a model instance, hashable: what a rendered group depends on."""
    values = []
    for model_field in instance._meta.concrete_fields:
        value = model_field.value_from_object(instance)
        values.append(json.dumps(value, sort_keys=True, default=str) if isinstance(value, dict | list) else value)
    return tuple(values)


def headers_for(delivery, links, own_id, root_id):
    """The extra headers of an outbox row's message: its id, threading and (but for a confirmation) one-click
    unsubscribe."""
    headers = {"Message-ID": own_id, "Auto-Submitted": "auto-generated"}
    if root_id:
        headers["References"] = root_id
        headers["In-Reply-To"] = root_id
    if delivery.kind != Delivery.Kind.CONFIRM:
        headers["List-Unsubscribe"] = f"<{links[UNSUBSCRIBE_URL]}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return headers


def _substitute(text, links):
    for placeholder, url in links.items():
        text = text.replace(placeholder, url)
    return text


def _email(group, to, headers, text, html, links=None, from_email=None, connection=None):
    """A message of a group's texts: a ``PreparedEmail`` when given the recipient's ``links``, else a plain
    ``EmailMultiAlternatives`` (as the stand-in of a template is)."""
    fields = {
        "subject": group.rendered.subject,
        "body": text,
        "from_email": from_email or settings.DEFAULT_FROM_EMAIL,
        "to": [to],
        "headers": headers,
        "connection": connection,
    }
    message = EmailMultiAlternatives(**fields) if links is None else PreparedEmail(group, links, **fields)
    message.attach_alternative(html, "text/html")
    message.attach(group.calendar)
    if links is not None:
        message.seal()
    return message


def build_message(delivery, cache=None, connection=None):
    """The email for one outbox row, exactly as it is handed to the mail backend.

    With a ``cache`` (a batch) a window's row gives a ``PreparedEmail``; without one, a plain
    ``EmailMultiAlternatives`` built from scratch. Both give the same MIME bytes.
    """
    subscriber = delivery.subscriber
    links = subscriber_links(subscriber, confirm=delivery.kind == Delivery.Kind.CONFIRM)
    headers = headers_for(delivery, links, *message_ids(delivery))
    html_links = {placeholder: escape(url) for placeholder, url in links.items()}
    if delivery.window is None:
        # Confirmation mails name the subscriber's own regions: one render per person.
        rendered = render_group(delivery.kind, subscriber.language, subscriber.timezone, None, 0, subscriber)
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=_substitute(rendered.text, links),
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[subscriber.email],
            headers=headers,
            connection=connection,
        )
        message.attach_alternative(_substitute(rendered.html, html_links), "text/html")
        return message
    group = group_of(delivery, cache if cache is not None else RenderCache())
    text = _substitute(group.rendered.text, links)
    html = _substitute(group.rendered.html, html_links)
    if cache is None:
        return _email(group, subscriber.email, headers, text, html, connection=connection)
    return _email(group, subscriber.email, headers, text, html, links=links, connection=connection)


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
