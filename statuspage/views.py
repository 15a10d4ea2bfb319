"""The public pages: the status page, one window, and the history by month."""

from datetime import UTC, date, datetime

from django.conf import settings
from django.db.models import Min
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maintenance.models import Incident, Window
from statuspage.board import BAR_DAYS, STATE_LABEL, board, status_label
from statuspage.caching import cached_page, conditional

ACTION_LABEL = {
    "announce": gettext_lazy("Announced"),
    "reschedule": gettext_lazy("Rescheduled"),
    "cancel": gettext_lazy("Cancelled"),
    "start": gettext_lazy("Started"),
    "complete": gettext_lazy("Completed"),
    "extend": gettext_lazy("Extended"),
    "zone_rules": gettext_lazy("Moved: time-zone rules changed"),
}


def feed_links(regions):
    """The calendar feeds as https (or the site's scheme) and webcal:// links, all regions first."""
    base = settings.SITE_URL
    webcal = "webcal://" + base.split("://", 1)[-1]
    links = [{"name": _("All regions"), "path": reverse("feed-ics")}]
    links += [{"name": region.name, "path": reverse("feed-region-ics", args=[region.slug])} for region in regions]
    for link in links:
        link["https"] = base + link["path"]
        link["webcal"] = webcal + link["path"]
    return links


@cached_page
def status_page(request):
    now = timezone.now()
    context = board(now)
    context["overall_label"] = STATE_LABEL[context["overall"]]
    context["bar_days"] = BAR_DAYS
    context["next_path"] = request.path  # the page is cached without its query string
    context["calendars"] = feed_links([entry.region for entry in context["regions"]])
    for window in context["upcoming"] + context["recent_windows"]:
        window.label = status_label(window, now)
    for entry in context["regions"]:
        if entry.next_window is not None:
            entry.next_window.label = status_label(entry.next_window, now)
    return render(request, "statuspage/index.html", context)


@conditional
def window_detail(request, pk):
    window = get_object_or_404(Window.objects.select_related("region"), pk=pk)
    now = timezone.now()
    # Only the changes customers see; internal notes for release managers (a time-zone flag) stay in the admin.
    events = list(window.audit_events.filter(action__in=list(ACTION_LABEL)).order_by("created_at", "id"))
    for event in events:
        event.label = ACTION_LABEL.get(event.action, event.action)
        times = event.changes.get("starts_at") or event.changes.get("ends_at")
        event.moved = bool(times) and event.action in ("reschedule", "extend", "zone_rules")
    return render(
        request,
        "statuspage/window.html",
        {
            "window": window,
            "label": status_label(window, now),
            "events": events,
            "calendar": reverse("feed-region-ics", args=[window.region.slug]),
        },
    )


def parse_month(raw):
    try:
        parsed = datetime.strptime(raw, "%Y-%m")
    except (TypeError, ValueError):
        return None
    return date(parsed.year, parsed.month, 1)


def add_months(month, n):
    index = month.year * 12 + month.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@conditional
def history(request):
    """One month per page, newest first; ``?month=YYYY-MM`` picks the month."""
    now = timezone.now()
    current = date(now.year, now.month, 1)
    raw = request.GET.get("month")
    month = current if raw in (None, "") else parse_month(raw)
    if month is None:
        message = _("The month must look like 2026-11 (year, hyphen, month); got “%(value)s”.") % {"value": raw[:20]}
        return render(request, "statuspage/error.html", {"message": message}, status=400)
    first_window = Window.objects.filter(starts_at__lte=now).aggregate(first=Min("month"))["first"]
    first_incident = Incident.objects.aggregate(first=Min("started_at"))["first"]
    candidates = [current]
    if first_window:
        candidates.append(first_window)
    if first_incident:
        candidates.append(date(first_incident.year, first_incident.month, 1))
    earliest = min(candidates)
    if not earliest <= month <= current:
        raise Http404(_("Nothing is recorded for that month."))
    start = datetime(month.year, month.month, 1, tzinfo=UTC)
    following = add_months(month, 1)
    end = datetime(following.year, following.month, 1, tzinfo=UTC)
    windows = list(
        Window.objects.filter(month=month, starts_at__lte=now).select_related("region").order_by("starts_at", "id")
    )
    for window in windows:
        window.label = status_label(window, now)
    incidents = Incident.objects.filter(started_at__gte=start, started_at__lt=end).prefetch_related("regions")
    return render(
        request,
        "statuspage/history.html",
        {
            "month": month,
            "month_value": f"{month:%Y-%m}",
            "windows": windows,
            "incidents": list(incidents.order_by("-started_at")),
            "newer": f"{following:%Y-%m}" if following <= current else None,
            "older": f"{add_months(month, -1):%Y-%m}" if month > earliest else None,
        },
    )
