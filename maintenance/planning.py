"""Create the planned windows the rule calls for.

``plan`` is safe to run any number of times: it adds what is missing and
changes nothing that exists. Times of existing windows change only through
``maintenance.lifecycle``; frozen months get no window.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q

from maintenance import rule
from maintenance.models import Freeze, Region, Window


@dataclass
class PlanReport:
    created: list = field(default_factory=list)
    unchanged: int = 0
    skipped: list = field(default_factory=list)  # (region, month, reason)

    def lines(self):
        for window in self.created:
            month = rule.Month.of(window.month)
            yield f"created  {window.region.slug:<14} {month}  {window.starts_at:%Y-%m-%d %H:%M} UTC"
        for region, month, reason in self.skipped:
            yield f"skipped  {region.slug:<14} {month}  {reason}"


def plan(now, months):
    """Plan ``months`` months of windows for every active region, from the local month of ``now``."""
    report = PlanReport()
    regions = list(Region.objects.filter(active=True))
    for region in regions:
        first = rule.local_month(now, region.zone)
        wanted = [first.plus(i) for i in range(months)]
        _plan_region(region, wanted, now, report)
    return report


def _frozen_months(region, months):
    firsts = [m.first_day for m in months]
    frozen = Freeze.objects.filter(Q(region=region) | Q(region__isnull=True), month__in=firsts)
    return {rule.Month.of(day) for day in frozen.values_list("month", flat=True)}


def _plan_region(region, months, now, report):
    frozen = _frozen_months(region, months)
    existing = {
        rule.Month.of(w.month): w
        for w in Window.objects.filter(region=region, month__in=[m.first_day for m in months]).order_by("origin")
    }
    for month in months:
        if month in frozen:
            report.skipped.append((region, month, "frozen"))
            continue
        window = existing.get(month)
        if window is None:
            slot = region.slot(month)
            if slot.starts_at <= now:
                report.skipped.append((region, month, "already past"))
                continue
            _create(region, slot, report)
        elif window.origin != Window.Origin.RULE:
            report.skipped.append((region, month, "has a window added by hand"))
        elif window.edited_by_hand:
            report.skipped.append((region, month, "window was edited by hand"))
        elif window.status != Window.Status.PLANNED:
            report.skipped.append((region, month, f"window is {window.status}"))
        else:
            report.unchanged += 1


def _create(region, slot, report):
    try:
        with transaction.atomic():
            window = Window.objects.create(
                region=region,
                month=slot.month.first_day,
                origin=Window.Origin.RULE,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
            )
    except IntegrityError:
        # Another planner made the same window a moment ago: that one stands.
        report.skipped.append((region, slot.month, "planned concurrently"))
        return
    report.created.append(window)
