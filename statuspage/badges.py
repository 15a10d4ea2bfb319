"""Shields-style SVG badges of the current state: ``/badge.svg`` (every region) and ``/badge/<region>.svg``.

``?style=flat`` gives the flat variant (square corners, no gloss). Badges are cached like the pages (the
content version and the language make the key) and carry ``Access-Control-Allow-Origin: *`` so a script on
another site may read them too.
"""

from django.conf import settings
from django.core.cache import cache
from django.http import HttpResponse
from django.utils import timezone
from django.utils.html import escape
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from maintenance.models import Region
from maintenance.state import RegionState, overall, region_states
from statuspage import caching

STYLES = ("", "flat")
COLOURS = {
    RegionState.OPERATIONAL: "#2e7d32",
    RegionState.UNDER_MAINTENANCE: "#1565c0",
    RegionState.DEGRADED_PERFORMANCE: "#8a6d00",
    RegionState.OVERRUNNING: "#b35c00",
    RegionState.PARTIAL_OUTAGE: "#c43e00",
    RegionState.MAJOR_OUTAGE: "#b71c1c",
}
LABEL_COLOUR = "#555"
# Rough advance widths of Verdana 11px, the shields font: narrow, wide and the rest.
NARROW, WIDE = set("fijlrtI.,:;'!|() "), set("mwMW@%")


def text_width(text):
    return sum(4 if char in NARROW else 10 if char in WIDE else 7 for char in text)


def render(label, message, colour, style=""):
    """The SVG of one badge: grey ``label`` on the left, ``message`` on ``colour`` on the right."""
    left, right = text_width(label) + 10, text_width(message) + 10
    width = left + right
    label_e, message_e = escape(label), escape(message)
    radius = 0 if style == "flat" else 3
    gloss = (
        ""
        if style == "flat"
        else '<linearGradient id="s" x2="0" y2="100%"><stop offset="0" stop-color="#bbb" stop-opacity=".1"/>'
        '<stop offset="1" stop-opacity=".1"/></linearGradient>'
    )
    overlay = "" if style == "flat" else f'<rect width="{width}" height="20" fill="url(#s)"/>'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="20" role="img" '
        f'aria-label="{label_e}: {message_e}"><title>{label_e}: {message_e}</title>{gloss}'
        f'<clipPath id="r"><rect width="{width}" height="20" rx="{radius}" fill="#fff"/></clipPath>'
        f'<g clip-path="url(#r)"><rect width="{left}" height="20" fill="{LABEL_COLOUR}"/>'
        f'<rect x="{left}" width="{right}" height="20" fill="{colour}"/>{overlay}</g>'
        f'<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" font-size="11">'
        f'<text x="{left / 2}" y="14">{label_e}</text><text x="{left + right / 2}" y="14">{message_e}</text></g>'
        "</svg>"
    )


def _serve(request, slug=None):
    style = request.GET.get("style", "")
    if style not in STYLES:
        return HttpResponse("style must be 'flat' or left out.\n", status=400, content_type="text/plain; charset=utf-8")
    key = f"statuspage:badge:{caching.content_version()}:{get_language()}:{slug or '*'}:{style}"
    svg = cache.get(key)
    if svg is None:
        regions = Region.objects.filter(active=True)
        if slug is not None:
            regions = regions.filter(slug=slug)
        states = region_states(timezone.now(), regions)
        if slug is not None and not states:
            return HttpResponse("No such region.\n", status=404, content_type="text/plain; charset=utf-8")
        state = overall(states)
        label = next(iter(states)).name if slug is not None else settings.SITE_NAME
        svg = render(label, str(RegionState(state).label).lower(), COLOURS[state], style).encode()
        cache.set(key, svg, settings.PAGE_CACHE_SECONDS)
    response = caching.finish(request, HttpResponse(svg, content_type="image/svg+xml; charset=utf-8"))
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Language"] = get_language()
    return response


@require_GET
def badge(request):
    return _serve(request)


@require_GET
def region_badge(request, slug):
    return _serve(request, slug)
