"""Create the planned windows the rule calls for, and freeze the months that must have none.

``plan`` is safe to run any number of times: it adds what is missing and
changes nothing that exists. Times of existing windows change only through
``maintenance.lifecycle``; frozen months get no window, and ``freeze`` cancels
the planned windows a new freeze covers.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from maintenance import lifecycle, rule
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


@dataclass(frozen=True)
class FrozenWindow:
    """What freezing its month did to one window: ``cancelled``, or left for a person, as ``message`` says."""

    window: Window
    cancelled: bool
    message: str


def freeze(frozen, actor=None, now=None):
    """Save the freeze ``frozen`` (new or changed) and cancel the planned windows of its month and region(s).

    Windows already announced or running are left alone: customers were told, so a person decides. Returns a
    ``FrozenWindow`` for each window of the month that is neither cancelled nor completed, in start order.
    """
    outcomes = []
    with transaction.atomic():
        frozen.save()
        affected = Window.objects.filter(month=frozen.month.replace(day=1)).exclude(
            status__in=[Window.Status.CANCELLED, Window.Status.COMPLETED]
        )
        if frozen.region_id:
            affected = affected.filter(region=frozen.region_id)
        for window in affected.select_related("region").order_by("starts_at", "id"):
            outcomes.append(_freeze_window(window, frozen, actor, now))
    return outcomes


def _freeze_window(window, frozen, actor, now):
    if window.status != Window.Status.PLANNED:
        message = _("%s is already announced or running; cancel it yourself if it must not happen.") % window
        return FrozenWindow(window, False, message)
    try:
        lifecycle.cancel(window, actor=actor, reason=_("Month frozen: %s") % frozen, now=now)
    except lifecycle.TransitionError as exc:  # it moved on meanwhile
        return FrozenWindow(window, False, f"{window}: {exc}")
    return FrozenWindow(window, True, _("%s: cancelled, the month is frozen.") % window)
