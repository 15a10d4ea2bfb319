"""The release nights' 12-month report: a table, a small SVG chart and CSV, for ``ReleaseNightMixin``'s pages."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import nightly
from maintenance.csvexport import csv_response


class NightReportMixin:
    """The report's views, for a window admin; ``ReleaseNightMixin`` routes to them."""

    def _require_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def night_report_view(self, request):
        self._require_view(request)
        now = timezone.now()
        rows = nightly.report(now)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Release windows, last 12 months"),
            "rows": rows,
            "months": nightly.report_months(now),
            "chart": chart(rows),
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/maintenance/night/report.html", context)

    def night_report_csv_view(self, request):
        self._require_view(request)
        now = timezone.now()
        rows = nightly.report(now)
        return csv_response(f"release-windows-{now:%Y%m}.csv", nightly.REPORT_HEADER, nightly.report_rows(rows))


# --- the chart: per region three horizontal bars, announced, actual and overrun minutes ---

CHART_WIDTH = 640
CHART_LABEL = 120  # room for the region names on the left
BAR = 12
GAP = 3
GROUP = 3 * BAR + 2 * GAP + 14


def chart(rows):
    """Geometry for the report's inline SVG (drawn with attributes only: the CSP allows no inline style)."""
    largest = max([1, *(max(row.announced_minutes, row.actual_minutes, row.overrun_minutes) for row in rows)])
    scale = (CHART_WIDTH - CHART_LABEL - 60) / largest
    groups = []
    for index, row in enumerate(rows):
        top = index * GROUP + 6
        bars = []
        for offset, (kind, value) in enumerate(
            (("announced", row.announced_minutes), ("actual", row.actual_minutes), ("overrun", row.overrun_minutes))
        ):
            y = top + offset * (BAR + GAP)
            width = round(value * scale, 1)
            bars.append({"kind": kind, "y": y, "width": width, "value": value, "text_x": CHART_LABEL + width + 4})
        groups.append({"label": row.region.name, "label_y": top + BAR + GAP + BAR - 2, "bars": bars})
    return {
        "width": CHART_WIDTH,
        "height": max(GROUP, len(rows) * GROUP + 6),
        "label_x": CHART_LABEL - 6,
        "bar_x": CHART_LABEL,
        "bar_height": BAR,
        "groups": groups,
    }
