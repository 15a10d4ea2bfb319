"""The public SLA page and its CSV export."""

import csv

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from maintenance import sla
from maintenance.models import Region

MONTHS_SHOWN = 12
CSV_COLUMNS = ["region", "month", "minutes_in_month", "downtime_minutes", "availability_percent", "met"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@require_safe
def sla_page(request):
    """The last 12 months (the current one first) × the active regions: met or missed."""
    now = timezone.now()
    months = sla.last_months(now, MONTHS_SHOWN)[::-1]
    regions = list(Region.objects.filter(active=True))
    by_key = {(row.region.pk, row.month): row for row in sla.ledger(months, now, regions=regions)}
    table = [(month, [by_key[(region.pk, month)] for region in regions]) for month in months]
    return render(request, "sla.html", {"regions": regions, "table": table, "target": settings.SLA_TARGET})


@require_safe
def sla_csv(request):
    """The same ledger as CSV: one row per region and month, region by region, oldest month first."""
    now = timezone.now()
    months = sla.last_months(now, MONTHS_SHOWN)[::-1]
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="sla.csv"'
    writer = csv.writer(response)
    writer.writerow(CSV_COLUMNS)
    for row in sla.ledger(months, now):
        values = {**row.as_dict(), "met": "yes" if row.met else "no"}
        writer.writerow([safe_cell(values[column]) for column in CSV_COLUMNS])
    return response


def safe_cell(value):
    """Neutralise a cell that a spreadsheet would run as a formula (CSV injection) with a leading quote."""
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text
