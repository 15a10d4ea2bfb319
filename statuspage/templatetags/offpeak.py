"""Date formatting and the 90-day bars for the public pages."""

from datetime import UTC

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from maintenance import dates, rule

register = template.Library()

BAR_WIDTH = 8
BAR_GAP = 2
BAR_HEIGHT = 32


def when(value, zone):
    """'Saturday, Nov. 28, 2026, 22:00 CET' in the active language, in ``zone`` (see ``maintenance.dates``)."""
    return dates.instant(value, zone)


@register.filter
def in_zone(value, zone_name):
    """A UTC instant shown in an IANA zone (a name or a ZoneInfo)."""
    if value is None:
        return ""
    zone = zone_name if not isinstance(zone_name, str) else rule.zone(zone_name)
    return when(value, zone)


@register.filter
def in_utc(value):
    if value is None:
        return ""
    return when(value, UTC)


@register.filter
def iso(value):
    """ISO 8601 in UTC with a Z, for ``<time datetime>`` and data attributes."""
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@register.filter
def day(value):
    return dates.day(value)


@register.simple_tag
def day_bars(region_board):
    """The region's 90 days as an inline SVG: one rect per day, each with a ``<title>``."""
    slug = region_board.region.slug
    days = region_board.days
    width = len(days) * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    rects = format_html_join(
        "",
        '<rect class="day s-{}" x="{}" y="0" width="{}" height="{}" rx="1"><title>{}</title></rect>',
        (
            (
                d.state,
                n * (BAR_WIDTH + BAR_GAP),
                BAR_WIDTH,
                BAR_HEIGHT,
                f"{day(d.date)}: {d.label}" + (f" ({', '.join(str(note) for note in d.notes)})" if d.notes else ""),
            )
            for n, d in enumerate(days)
        ),
    )
    title = _("%(region)s, the last %(days)s days") % {"region": region_board.region.name, "days": len(days)}
    bad = len(region_board.bad_days)
    if bad:
        desc = _("%(bad)s of %(days)s days had maintenance or trouble; the others were operational.") % {
            "bad": bad,
            "days": len(days),
        }
    else:
        desc = _("All %(days)s days were operational.") % {"days": len(days)}
    return format_html(
        '<svg class="bars" viewBox="0 0 {w} {h}" width="100%" height="{h}" preserveAspectRatio="none" role="img" '
        'aria-labelledby="bars-{s}-t bars-{s}-d"><title id="bars-{s}-t">{t}</title><desc id="bars-{s}-d">{d}</desc>'
        "{r}</svg>",
        w=width,
        h=BAR_HEIGHT,
        s=slug,
        t=title,
        d=desc,
        r=rects,
    )
