"""The public SLA page (a heat map of region × month, each region's error budget, the ledger) and its CSV export."""

from decimal import ROUND_DOWN, Decimal

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.formats import get_format
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from maintenance import sla
from maintenance.csvexport import csv_response
from maintenance.models import SlaExclusion

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
# The heat map's classes: a month with no downtime, one that met the target with some, one that missed it.
PERFECT, MET, MISSED = "sla-perfect", "sla-met", "sla-missed"
TWO_PLACES = Decimal("0.01")
# The two tables with a line per region and month are put together here rather than in a template loop: 84 lines of
# a few cells each cost a template several milliseconds, str.format a fraction of one. Every text that is not a
# number made here is escaped (once per region and month, not once per cell).
HEAT_CELL = '<td class="{}">{}% <span class="sla-word"><span aria-hidden="true">{}</span> {}</span></td>'
HEAT_LINE = '<tr>\n      <th scope="row">{region}</th>\n      {cells}\n    </tr>'
COLUMN_HEAD = '<th scope="col"><time datetime="{iso}">{month}</time>{so_far}</th>'
BUDGET_LINE = (
    '<tr class="{css}">\n      <th scope="row">{region}</th>\n      <td>{allowed}</td>\n      <td>{used}</td>\n'
    '      <td>{left}</td>\n      <td class="budget-share"><svg class="budget-bar" viewBox="0 0 100 8" '
    'preserveAspectRatio="none" width="100" height="8" aria-hidden="true" focusable="false">'
    '<rect class="budget-track" width="100" height="8"/><rect class="budget-fill" width="{bar}" height="8"/></svg> '
    "{percent}%</td>\n    </tr>"
)
LEDGER_LINE = (
    '<tr><th scope="row">{region}</th><td><time datetime="{iso}">{month}</time></td><td>{figure}% {word}</td>'
    "<td>{downtime}</td><td>{maintenance}</td><td>{excluded}</td></tr>"
)


@require_safe
def sla_page(request):
    """The last 12 months (oldest first) × the active regions: met or missed, this month's error budget, and where
    the minutes went."""
    now = timezone.now()
    months = sla.last_months(now, MONTHS_SHOWN)
    rows = sla.ledger(months, now)  # the active regions in their order, each with its months oldest first
    regions = [row.region for row in rows[:: len(months)]]
    words = Words()
    month_format = get_format("YEAR_MONTH_FORMAT")
    columns = [_month_column(month, month == months[-1], month_format) for month in months]
    labels = {value: escape(label) for value, label in CATEGORIES.choices}
    heatmap, budgets, ledger, exclusions = [], [], [], []
    for index, region in enumerate(regions):
        region_rows = rows[index * len(months) : (index + 1) * len(months)]
        name = escape(region.name)
        heatmap.append(HEAT_LINE.format(region=name, cells="".join(_heat_cell(row, words) for row in region_rows)))
        budgets.append(_budget_line(name, region_rows[-1], words))
        for row, column in zip(region_rows, columns, strict=True):
            ledger.append(_ledger_line(row, name, column, labels, words))
            exclusions.extend((column, region, labels[note.category], note) for note in row.notes)
    exclusions.sort(key=lambda item: (item[1].position, item[3].starts_at))
    exclusions.sort(key=lambda item: item[0]["iso"], reverse=True)  # the newest month first
    return render(
        request,
        "sla.html",
        {
            "columns": columns,
            "column_heads": mark_safe("".join(_column_head(column) for column in columns)),
            "heatmap": mark_safe("\n    ".join(heatmap)),
            "budgets": mark_safe("\n    ".join(budgets)),
            "current": columns[-1],
            "ledger": mark_safe("\n".join(ledger)),
            "target": words.number(settings.SLA_TARGET),
            "weekend_only": settings.SLA_EXCLUDED_MAINTENANCE == sla.WEEKEND,
            "exclusions": exclusions,
        },
    )


class Words:
    """What every cell repeats, looked up once per page: the labels in the visitor's language (escaped) and the
    decimal separator of the language's number format."""

    def __init__(self):
        self.met = escape(_("Met"))
        self.missed = escape(_("Missed"))
        self.excluded = escape(_("%(minutes)s min excluded: %(label)s"))
        self.separator = escape(get_format("DECIMAL_SEPARATOR"))
        self.none = "–"
        self._numbers = {}

    def number(self, value):
        """A Decimal, int or float in the language's format, without trailing zeros (``99.9``, ``100``).

        The words depend on the value alone, and a page repeats a few values (100, 0) hundreds of times: each is
        written once."""
        text = self._numbers.get(value)
        if text is None:
            text = self._numbers[value] = self._write(value)
        return text

    def _write(self, value):
        text = format(value, "f") if not isinstance(value, float) else repr(value)
        if "." in text:
            text = text.rstrip("0").rstrip(".")
        return text.replace(".", self.separator)


def _month_column(month, current, month_format):
    label = date_format(month.first_day, month_format)
    return {
        "iso": str(month),
        "label": label,
        "escaped": escape(label),
        "current": current,
    }


def _heat_cell(row, words):
    if not row.met:
        css, mark, word = MISSED, "✗", words.missed
    else:
        css, mark, word = (PERFECT if not row.downtime else MET), "✓", words.met
    # Two decimals, cut rather than rounded, so that a missed month never reads as the target (99.8999 is 99.89).
    figure = row.availability_percent.quantize(TWO_PLACES, rounding=ROUND_DOWN)
    return HEAT_CELL.format(css, words.number(figure), mark, word)


def _column_head(column):
    so_far = f' <span class="sla-to-date">{_("(so far)")}</span>' if column["current"] else ""
    return COLUMN_HEAD.format(iso=column["iso"], month=column["escaped"], so_far=so_far)


def _budget_line(name, row, words):
    """A region's line of the error budget table in ``row``'s month; ``name`` is escaped already."""
    budget = sla.budget(row, settings.SLA_TARGET)
    left = words.number(abs(budget.left))
    return BUDGET_LINE.format(
        css="budget-over" if budget.over else "budget-ok",
        region=name,
        allowed=words.number(budget.allowed),
        used=words.number(budget.used),
        left=_("over by %(minutes)s") % {"minutes": left} if budget.over else left,
        bar=min(100, budget.used_percent),
        percent=budget.used_percent,
    )


def _ledger_line(row, name, column, labels, words):
    """One line of the ledger table; ``name`` and ``labels`` are escaped already."""
    excluded = [
        words.excluded % {"minutes": words.number(sla.minutes(duration)), "label": labels[category]}
        for category, duration in row.excluded
        if duration
    ]
    return LEDGER_LINE.format(
        region=name,
        iso=column["iso"],
        month=column["escaped"],
        figure=words.number(row.availability_percent),
        word=words.met if row.met else words.missed,
        downtime=words.number(row.downtime_minutes),
        maintenance=words.number(row.maintenance_minutes),
        excluded="; ".join(excluded) or words.none,
    )


@require_safe
def sla_csv(request):
    """The same ledger as CSV: one row per region and month, region by region, oldest month first."""
    now = timezone.now()
    months = sla.last_months(now, MONTHS_SHOWN)
    return csv_response("sla.csv", CSV_COLUMNS, (_csv_row(row) for row in sla.ledger(months, now)))


def _csv_row(row):
    values = {**row.as_dict(), "met": "yes" if row.met else "no"}
    for category, minutes in row.excluded_minutes.items():
        values[f"excluded_{category}_minutes"] = minutes
    return [values[column] for column in CSV_COLUMNS]
