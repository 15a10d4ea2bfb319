"""The public SLA page and its CSV export."""

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from maintenance import sla
from maintenance.csvexport import csv_response
from maintenance.models import Region, SlaExclusion

MONTHS_SHOWN = 12
CATEGORIES = SlaExclusion.Category
CSV_COLUMNS = [
    "region",
    "month",
    "minutes_in_month",
    "downtime_minutes",
    "maintenance_minutes",
    *(f"excluded_{category}_minutes" for category in CATEGORIES.values),
    "availability_percent",
    "met",
]


@require_safe
def sla_page(request):
    """The last 12 months (the current one first) × the active regions: met or missed, and where minutes went."""
    now = timezone.now()
    months = sla.last_months(now, MONTHS_SHOWN)[::-1]
    regions = list(Region.objects.filter(active=True))
    by_key = {(row.region.pk, row.month): row for row in sla.ledger(months, now, regions=regions)}
    table = [(month, [_cell(by_key[(region.pk, month)]) for region in regions]) for month in months]
    exclusions = [
        (month, cell["row"].region, label, note)
        for month, cells in table
        for cell in cells
        for label, note in cell["notes"]
    ]
    return render(
        request,
        "sla.html",
        {
            "regions": regions,
            "table": table,
            "target": settings.SLA_TARGET,
            "weekend_only": settings.SLA_EXCLUDED_MAINTENANCE == sla.WEEKEND,
            "exclusions": exclusions,
        },
    )


def _cell(row):
    """The row and its non-zero exclusions by category label; notes carry a reason only if it was published."""
    labels = dict(CATEGORIES.choices)
    excluded = [(labels[category], minutes) for category, minutes in row.excluded_minutes.items() if minutes]
    notes = [(labels[note.category], note) for note in row.notes]
    return {"row": row, "excluded": excluded, "notes": notes}


@require_safe
def sla_csv(request):
    """The same ledger as CSV: one row per region and month, region by region, oldest month first."""
    now = timezone.now()
    months = sla.last_months(now, MONTHS_SHOWN)[::-1]
    return csv_response("sla.csv", CSV_COLUMNS, (_csv_row(row) for row in sla.ledger(months, now)))


def _csv_row(row):
    values = {**row.as_dict(), "met": "yes" if row.met else "no"}
    for category, minutes in row.excluded_minutes.items():
        values[f"excluded_{category}_minutes"] = minutes
    return [values[column] for column in CSV_COLUMNS]
