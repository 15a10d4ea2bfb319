"""Create the planned windows the rule calls for, and freeze the months that must have none.

``plan`` is safe to run any number of times: it adds what is missing and
changes nothing that exists. Times of existing windows change only through
``maintenance.lifecycle``; frozen months get no window, ``freeze`` cancels
the planned windows a new freeze covers (``preview`` says so first), and ``lift``
removes a freeze and restores the windows it cancelled that still lie ahead.
"""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import audit, lifecycle, rule
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


def preview(frozen):
    """What saving the freeze ``frozen`` would do, without saving anything: a ``FrozenWindow`` per window."""
    outcomes = []
    for window in _affected(frozen):
        if window.status == Window.Status.PLANNED:
            outcomes.append(FrozenWindow(window, True, _("%s: will be cancelled (it is only planned).") % window))
        else:
            outcomes.append(FrozenWindow(window, False, _kept_message(window)))
    return outcomes


def _affected(frozen):
    """The windows of the freeze's month and region(s) that are neither cancelled nor completed, in start order."""
    affected = Window.objects.filter(month=frozen.month.replace(day=1)).exclude(
        status__in=[Window.Status.CANCELLED, Window.Status.COMPLETED]
    )
    if frozen.region_id:
        affected = affected.filter(region=frozen.region_id)
    return list(affected.select_related("region").order_by("starts_at", "id"))


def _kept_message(window):
    return _("%s is already announced or running; cancel it yourself if it must not happen.") % window


def freeze(frozen, actor=None, now=None):
    """Save the freeze ``frozen`` (new or changed) and cancel the planned windows of its month and region(s).

    Windows already announced or running are left alone: customers were told, so a person decides. Returns a
    ``FrozenWindow`` for each window of the month that is neither cancelled nor completed, in start order. The
    freeze itself is audited (action ``freeze``), and so is each cancellation, marked as made by the freeze.
    """
    now = now or timezone.now()
    outcomes = []
    with transaction.atomic():
        created = frozen.pk is None
        frozen.save()
        if created:
            audit.record(actor, "freeze", {"freeze": [None, str(frozen)]}, now, frozen.reason)
        for window in _affected(frozen):
            outcomes.append(_freeze_window(window, frozen, actor, now))
    return outcomes


def _freeze_window(window, frozen, actor, now):
    if window.status != Window.Status.PLANNED:
        return FrozenWindow(window, False, _kept_message(window))
    try:
        lifecycle.cancel(window, actor=actor, reason=_("Month frozen: %s") % frozen, now=now, freeze=frozen)
    except lifecycle.TransitionError as exc:  # it moved on meanwhile
        return FrozenWindow(window, False, f"{window}: {exc}")
    return FrozenWindow(window, True, _("%s: cancelled, the month is frozen.") % window)


@dataclass(frozen=True)
class LiftedWindow:
    """What lifting a freeze did to one cancelled window of its month: ``restored``, or why it stays cancelled."""

    window: Window
    restored: bool
    message: str


def lift(frozen, actor=None, now=None, dry_run=False):
    """Delete the freeze ``frozen`` and restore, as planned, the windows it cancelled that still lie ahead.

    A window announced before it was cancelled stays cancelled (its subscribers were sent the cancellation), as
    does one cancelled by hand, one whose time has passed and one another freeze still covers; the
    ``LiftedWindow`` says which. With ``dry_run`` nothing is changed: the answer is what lifting would do.
    """
    now = now or timezone.now()
    outcomes = []
    with transaction.atomic():
        if not dry_run:
            label = str(frozen)
            frozen.delete()
            audit.record(actor, "lift", {"freeze": [label, None]}, now, _("Freeze lifted: %s") % label)
        cancelled = Window.objects.filter(month=frozen.month.replace(day=1), status=Window.Status.CANCELLED)
        if frozen.region_id:
            cancelled = cancelled.filter(region=frozen.region_id)
        for window in cancelled.select_related("region").order_by("starts_at", "id"):
            outcomes.append(_lift_window(window, frozen, actor, now, dry_run))
    return outcomes


def _lift_window(window, frozen, actor, now, dry_run):
    if window.announced_at is not None:
        message = _(
            "%s was announced, so subscribers were sent its cancellation; it stays cancelled. Add a new window "
            "by hand if the release goes ahead."
        )
        return LiftedWindow(window, False, message % window)
    if not lifecycle.cancelled_by_freeze(window):
        return LiftedWindow(window, False, _("%s was cancelled by hand; it stays cancelled.") % window)
    if window.starts_at <= now:
        return LiftedWindow(window, False, _("%s: its time has passed; it stays cancelled.") % window)
    still = (
        Freeze.objects.filter(Q(region=window.region_id) | Q(region__isnull=True), month=window.month)
        .exclude(pk=frozen.pk)
        .first()
    )
    if still is not None:
        message = _("%(window)s stays cancelled: the month is still frozen (%(freeze)s).")
        return LiftedWindow(window, False, message % {"window": window, "freeze": still})
    if dry_run:
        return LiftedWindow(window, True, _("%s: will be planned again.") % window)
    try:
        lifecycle.restore(window, actor=actor, reason=_("Freeze lifted: %s") % frozen, now=now)
    except lifecycle.TransitionError as exc:  # it moved on meanwhile
        return LiftedWindow(window, False, f"{window}: {exc}")
    return LiftedWindow(window, True, _("%s: planned again, the freeze is lifted.") % window)
