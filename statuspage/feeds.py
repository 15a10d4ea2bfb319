"""Calendar feeds (iCalendar) and the news feeds (Atom, RSS) of window changes."""

from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.contrib.syndication.views import Feed
from django.db.models import F, Prefetch, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed, Rss201rev2Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from maintenance import ics
from maintenance.models import AuditEvent, Region, Window
from statuspage.caching import conditional
from statuspage.templatetags.offpeak import when

PAST_DAYS = 90
AHEAD_DAYS = 400
NEWS_ITEMS = 50
# Announcements, starts and completions are always news. A reschedule, an extension or a cancellation is news
# once the window has been announced: until then the window is only planned, and planned windows are not news.
ALWAYS = ("announce", "start", "complete")
ONCE_ANNOUNCED = ("reschedule", "extend", "cancel")
# What a calendar event shows (maintenance/ics.py): reading only these halves the rows' decoding.
CALENDAR_FIELDS = (
    "pk",
    "region__name",
    "title",
    "release_summary",
    "sequence",
    "status",
    "starts_at",
    "ends_at",
    "created_at",
    "updated_at",
)


class CalendarRegion:
    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name


class CalendarWindow:
    """What ``ics.calendar_bytes`` reads of a window, made from a row: a feed holds a year of windows, and building
    a model instance and its region's for each cost more than writing the calendar."""

    __slots__ = ("pk", "region", "title", "release_summary", "sequence", "status", "starts_at", "ends_at")
    __slots__ += ("created_at", "updated_at")
    display_title = Window.display_title

    def __init__(self, values, regions):
        self.pk, name, *rest = values
        self.region = regions.get(name) or regions.setdefault(name, CalendarRegion(name))
        (self.title, self.release_summary, self.sequence, self.status) = rest[:4]
        (self.starts_at, self.ends_at, self.created_at, self.updated_at) = rest[4:]


def calendar_windows(now, region=None):
    """Every window, cancelled ones included, from 90 days ago to about 13 months ahead."""
    windows = Window.objects.filter(
        starts_at__gte=now - timedelta(days=PAST_DAYS), starts_at__lt=now + timedelta(days=AHEAD_DAYS)
    )
    if region is not None:
        windows = windows.filter(region=region)
    regions = {}
    rows = windows.order_by("starts_at", "region__position", "id").values_list(*CALENDAR_FIELDS)
    return [CalendarWindow(values, regions) for values in rows]


def calendar_response(windows, name):
    body = ics.calendar_bytes(windows, settings.SITE_URL, name)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = "inline; filename=maintenance.ics"
    return response


@conditional
def all_regions_ics(request):
    name = _("%(site)s maintenance") % {"site": settings.SITE_NAME}
    return calendar_response(calendar_windows(timezone.now()), name)


@conditional
def region_ics(request, slug):
    region = get_object_or_404(Region, slug=slug)
    name = _("%(site)s maintenance: %(region)s") % {"site": settings.SITE_NAME, "region": region.name}
    return calendar_response(calendar_windows(timezone.now(), region), name)


def news_events():
    announced_before = Q(window__announced_at__isnull=False, window__announced_at__lte=F("created_at"))
    return (
        AuditEvent.objects.filter(window__isnull=False)
        .filter(Q(action__in=ALWAYS) | Q(action__in=ONCE_ANNOUNCED) & announced_before)
        .select_related("window__region")
        .prefetch_related(
            Prefetch("window__audit_events", queryset=AuditEvent.objects.filter(action__in=["reschedule", "extend"]))
        )
        .order_by("-created_at", "-id")[:NEWS_ITEMS]
    )


def headline(event, events, words=None):
    """The news line of a window's audit ``event`` (``events`` are the window's); ``words`` is a :class:`NewsWords`
    shared by the lines of one feed."""
    words = words or NewsWords()
    window = event.window
    zone = window.region.zone
    start, end = times_after(event, events)
    values = {"region": window.region.name}
    if event.action in ("announce", "reschedule", "cancel"):
        values["when"] = words.when(start, zone)
    elif event.action == "extend":
        values["until"] = words.when(end, zone)
    return words.forms[event.action] % values


class NewsWords:
    """The headline forms in the active language, and ``when`` with a memory: a feed of 50 entries formats the same
    few windows' times again and again."""

    def __init__(self):
        self.forms = {
            "announce": _("%(region)s: maintenance announced for %(when)s"),
            "reschedule": _("%(region)s: maintenance moved to %(when)s"),
            "cancel": _("%(region)s: maintenance on %(when)s cancelled"),
            "start": _("%(region)s: maintenance started"),
            "complete": _("%(region)s: maintenance completed"),
            "extend": _("%(region)s: maintenance extended to %(until)s"),
        }
        self.seen = {}

    def when(self, instant, zone):
        key = (instant, zone)
        if key not in self.seen:
            self.seen[key] = when(instant, zone)
        return self.seen[key]


def times_after(event, events):
    """The window's times just after ``event``: its times now, with every later change undone.

    ``events`` are the window's audit events (any order). A later reschedule must not rewrite older entries.
    """
    window = event.window
    start, end = window.starts_at, window.ends_at
    for later in sorted(events, key=lambda e: (e.created_at, e.pk), reverse=True):
        if (later.created_at, later.pk) <= (event.created_at, event.pk):
            break
        if "starts_at" in later.changes:
            start = datetime.fromisoformat(later.changes["starts_at"][0])
        if "ends_at" in later.changes:
            end = datetime.fromisoformat(later.changes["ends_at"][0])
    return start, end


class MaintenanceNews(Feed):
    feed_type = Atom1Feed

    def title(self):
        return _("%(site)s maintenance news") % {"site": settings.SITE_NAME}

    def link(self):
        return settings.SITE_URL + reverse("status")

    def feed_url(self):
        return settings.SITE_URL + reverse("feed-atom")

    def subtitle(self):
        return _("Announcements, changes, starts and completions of release windows.")

    description = subtitle

    def items(self):
        """The events, each with its title and description worked out here, where one ``NewsWords`` serves all."""
        words = NewsWords()
        region_time, utc = _("Region time: %(start)s – %(end)s"), _("UTC: %(start)s – %(end)s")
        events = list(news_events())
        for event in events:
            window = event.window
            history = window.audit_events.all()
            event.news_title = headline(event, history, words)
            start, end = times_after(event, history)
            zone = window.region.zone
            lines = [
                f"{window.display_title()}",
                region_time % {"start": words.when(start, zone), "end": words.when(end, zone)},
                utc % {"start": words.when(start, UTC), "end": words.when(end, UTC)},
            ]
            if event.reason:
                lines.append(event.reason)
            # Atom's summary is type="html" and RSS descriptions are read as HTML: the text must arrive escaped.
            event.news_description = "<br>\n".join(escape(line) for line in lines)
        return events

    def item_title(self, event):
        return event.news_title

    def item_description(self, event):
        return event.news_description

    def item_link(self, event):
        return f"{settings.SITE_URL}{reverse('window-detail', args=[event.window_id])}#event-{event.pk}"

    def item_guid(self, event):
        return f"{ics.window_uid(event.window, settings.SITE_URL)}/event-{event.pk}"

    item_guid_is_permalink = False

    def item_pubdate(self, event):
        return event.created_at

    def item_updateddate(self, event):
        return event.created_at

    def item_categories(self, event):
        return [event.window.region.slug, event.action]


class MaintenanceNewsRss(MaintenanceNews):
    feed_type = Rss201rev2Feed

    def feed_url(self):
        return settings.SITE_URL + reverse("feed-rss")


atom = conditional(MaintenanceNews())
rss = conditional(MaintenanceNewsRss())
