"""The public pages: the status page, one window, and the history by month."""

from datetime import datetime

from django.conf import settings
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maintenance.models import Window
from maintenance.rule import Month
from maintenance.state import RegionState
from statuspage import months
from statuspage.board import board, status_label
from statuspage.caching import cached_page, conditional
from statuspage.overview import present

ACTION_LABEL = {
    "announce": gettext_lazy("Announced"),
    "reschedule": gettext_lazy("Rescheduled"),
    "cancel": gettext_lazy("Cancelled"),
    "start": gettext_lazy("Started"),
    "complete": gettext_lazy("Completed"),
    "extend": gettext_lazy("Extended"),
    "zone_rules": gettext_lazy("Moved: time-zone rules changed"),
    "restore": gettext_lazy("Planned again"),
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
    context = present(board(now), now)
    context["overall_label"] = RegionState(context["overall"]).label
    context["next_path"] = request.path  # the page is cached without its query string
    context["calendars"] = feed_links([entry.region for entry in context["regions"]])
    return render(request, "statuspage/index.html", context)


@conditional
def window_detail(request, pk):
    window = get_object_or_404(Window.objects.select_related("region"), pk=pk)
    now = timezone.now()
    # Only the changes customers see; internal notes for release managers (a time-zone flag) stay in the admin.
    events = list(window.audit_events.filter(action__in=list(ACTION_LABEL)).order_by("created_at", "id"))
    for event in events:
        event.label = ACTION_LABEL.get(event.action, event.action)
        moved = event.action in ("reschedule", "extend", "zone_rules")
        # The times the event set, not the window's times today: a later change must not rewrite this line.
        event.new_start = _new_value(event, "starts_at") if moved else None
        event.new_end = _new_value(event, "ends_at") if moved else None
    return render(
        request,
        "statuspage/window.html",
        {
            "window": window,
            "label": status_label(window, now),
            "summary": window.summary_in(translation.get_language()),
            "events": events,
            "calendar": reverse("feed-region-ics", args=[window.region.slug]),
        },
    )


def _new_value(event, field):
    """The instant an audit event set ``field`` to, or None when the event did not change it."""
    change = event.changes.get(field)
    if not isinstance(change, list | tuple) or len(change) != 2 or not change[1]:
        return None
    try:
        return datetime.fromisoformat(change[1])
    except (TypeError, ValueError):
        return None


@conditional
def history(request):
    """One month per page, newest first; ``?month=YYYY-MM`` picks the month.

    A month is a calendar month in each region's own calendar, as ``statuspage.months`` explains.
    """
    now = timezone.now()
    newest = months.newest_month(now)
    raw = request.GET.get("month")
    try:
        month = newest if raw in (None, "") else Month.parse(raw)
    except ValueError:
        message = _("The month must look like 2026-11 (year, hyphen, month); got “%(value)s”.") % {"value": raw[:20]}
        return render(request, "statuspage/error.html", {"message": message}, status=400)
    earliest = months.earliest_month(now, newest)
    if not earliest <= month <= newest:
        raise Http404(_("Nothing is recorded for that month."))
    windows = months.windows_in(month, now)
    for window in windows:
        window.label = status_label(window, now)
    return render(
        request,
        "statuspage/history.html",
        {
            "month": month.first_day,
            "month_value": str(month),
            "windows": windows,
            "incidents": months.incidents_in(month),
            "newer": str(month.next()) if month < newest else None,
            "older": str(month.plus(-1)) if earliest < month else None,
        },
    )
