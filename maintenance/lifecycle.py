"""The window lifecycle: the only code that changes a window's status or times.

Admin actions, the pipeline API and the beat all call these functions. Each one
checks the transition, writes the change and its audit event in one
transaction, bumps ``sequence`` when customers would see the change, and sends
``window_changed`` once the transaction has committed.

    planned ──announce──▶ scheduled ──start──▶ in_progress ──complete──▶ completed
       │  ╲                   │                     │
       │   ╲──start (unannounced, counts against the SLA)
       └──cancel──▶ cancelled ◀──cancel──┘          └──extend (also while scheduled)
       ◀──restore── (only a window a freeze cancelled, see ``planning.lift``)

A start more than ``settings.START_LEAD_MINUTES`` before the window's start is
refused unless the caller passes ``force=True`` with a reason.

Asked for a state the window is already in, a function changes nothing and
says so in ``Outcome.message``.

Bounds on times (the ceiling, the horizon, the lead before a start) live in ``maintenance.bounds``; a bad
time raises ``TimesError``, which names the field at fault.
"""

import logging
from dataclasses import dataclass
from functools import partial

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maintenance import audit
from maintenance.audit import Actor
from maintenance.bounds import (
    TransitionError,
    check_extension,
    check_new_times,
    check_offsets,
    extended_end,
    start_lead_minutes,
    too_early_to_start,
)
from maintenance.models import Window
from maintenance.signals import window_changed

logger = logging.getLogger(__name__)
# Messages are translated in the language active when they are shown (the API and admin request's).
DONE = {
    "announce": gettext_lazy("Announced."),
    "start": gettext_lazy("Started."),
    "complete": gettext_lazy("Completed."),
    "cancel": gettext_lazy("Cancelled."),
    "reschedule": gettext_lazy("Rescheduled."),
    "extend": gettext_lazy("Extended."),
    "zone_rules": gettext_lazy("Moved to keep its local time under the new time-zone rules."),
    "restore": gettext_lazy("Restored: planned again."),
}
REFUSED = {
    "announce": gettext_lazy("The window is %(state)s, so it cannot be announced."),
    "start": gettext_lazy("The window is %(state)s, so it cannot be started."),
    "complete": gettext_lazy("The window is %(state)s, so it cannot be completed."),
    "cancel": gettext_lazy("The window is %(state)s, so it cannot be cancelled."),
    "reschedule": gettext_lazy("The window is %(state)s, so it cannot be rescheduled."),
    "extend": gettext_lazy("The window is %(state)s, so it cannot be extended."),
    "zone_rules": gettext_lazy("The window is %(state)s, so only a person may move it."),
    "restore": gettext_lazy("The window is %(state)s, so it cannot be restored."),
}
ZONE_RULES_CHANGED = "time-zone rules changed"
DERIVED = {"local_date", "local_time", "local_zone"}  # follow starts_at; the audit records starts_at itself


@dataclass(frozen=True)
class Outcome:
    window: Window
    changed: bool
    message: str


SCHEDULE = Actor(label="schedule")


def announce(window, actor=None, reason="", now=None):
    """planned → scheduled. Customers are told; the window must still lie ahead."""
    now = now or timezone.now()
    with transaction.atomic():
        window = _lock(window)
        if window.status == Window.Status.SCHEDULED:
            return _unchanged(window, _("The window is already announced."))
        _require(window, {Window.Status.PLANNED}, "announce")
        if window.starts_at <= now:
            raise TransitionError(_("A window that has already started cannot be announced; reschedule it first."))
        return _apply(
            window,
            actor,
            "announce",
            reason,
            now,
            bump=True,
            status=Window.Status.SCHEDULED,
            announced_at=now,
            announced_ends_at=window.ends_at,
        )


def start(window, actor=None, reason="", now=None, force=False):
    """scheduled (or, unannounced, planned) → in_progress.

    More than ``START_LEAD_MINUTES`` before the window's start this is refused, unless ``force`` is given with a
    ``reason``: the early start is then recorded in the audit trail (``forced``).
    """
    now = now or timezone.now()
    with transaction.atomic():
        window = _lock(window)
        if window.status == Window.Status.IN_PROGRESS:
            return _unchanged(window, _("The window is already in progress."))
        _require(window, {Window.Status.SCHEDULED, Window.Status.PLANNED}, "start")
        notes = {}
        if too_early_to_start(window, now):
            if not force:
                raise TransitionError(
                    _(
                        "The window starts at %(start)s, more than %(lead)s minutes from now. To start it early, "
                        "confirm with force and give a reason."
                    )
                    % {"start": f"{window.starts_at:%Y-%m-%d %H:%M} UTC", "lead": start_lead_minutes()}
                )
            if not (reason or "").strip():
                raise TransitionError(_("Give a reason to start a window early."))
            notes = {"forced": [False, True]}
        return _apply(
            window, actor, "start", reason, now, notes=notes, status=Window.Status.IN_PROGRESS, actual_start=now
        )


def complete(window, actor=None, reason="", now=None, at_announced_end=False):
    """in_progress → completed.

    ``at_announced_end`` (the beat's automatic completion) records the announced
    end as the actual end rather than the moment the tick happened to run, so a
    late tick does not show up as an overrun.
    """
    now = now or timezone.now()
    with transaction.atomic():
        window = _lock(window)
        if window.status == Window.Status.COMPLETED:
            return _unchanged(window, _("The window is already completed."))
        _require(window, {Window.Status.IN_PROGRESS}, "complete")
        actual_end = min(now, window.ends_at) if at_announced_end else now
        if window.actual_start and actual_end < window.actual_start:
            actual_end = window.actual_start
        return _apply(window, actor, "complete", reason, now, status=Window.Status.COMPLETED, actual_end=actual_end)


def cancel(window, actor=None, reason="", now=None, freeze=None):
    """planned or scheduled → cancelled.

    ``freeze`` (a label such as "2027-03 (all regions)") marks a cancellation made because the month was frozen;
    only such a cancellation can be undone, with ``restore``.
    """
    now = now or timezone.now()
    with transaction.atomic():
        window = _lock(window)
        if window.status == Window.Status.CANCELLED:
            return _unchanged(window, _("The window is already cancelled."))
        _require(window, {Window.Status.PLANNED, Window.Status.SCHEDULED}, "cancel")
        notes = {FREEZE_NOTE: [None, str(freeze)]} if freeze else {}
        return _apply(window, actor, "cancel", reason, now, bump=True, notes=notes, status=Window.Status.CANCELLED)


FREEZE_NOTE = "freeze"


def cancelled_by_freeze(window):
    """Whether ``window`` is cancelled because its month was frozen (its latest audit event says so)."""
    if window.status != Window.Status.CANCELLED:
        return False
    last = window.audit_events.order_by("-created_at", "-id").first()
    return last is not None and last.action == "cancel" and FREEZE_NOTE in last.changes


def restore(window, actor=None, reason="", now=None):
    """cancelled → planned, for a window that a freeze cancelled (never announced) and that still lies ahead."""
    now = now or timezone.now()
    with transaction.atomic():
        window = _lock(window)
        if window.status == Window.Status.PLANNED:
            return _unchanged(window, _("The window is already planned."))
        _require(window, {Window.Status.CANCELLED}, "restore")
        if not cancelled_by_freeze(window) or window.announced_at is not None:
            raise TransitionError(_("Only a window cancelled by a freeze can be restored; this one stays cancelled."))
        if window.starts_at <= now:
            raise TransitionError(_("The window's time has passed, so it cannot be restored."))
        return _apply(window, actor, "restore", reason, now, bump=True, status=Window.Status.PLANNED)


def reschedule(window, starts_at, ends_at, actor=None, reason="", now=None):
    """New times for a planned or scheduled window: ahead, within the horizon and 1–60 minutes long."""
    now = now or timezone.now()
    check_offsets(starts_at, ends_at)
    with transaction.atomic():
        window = _lock(window)
        _require(window, {Window.Status.PLANNED, Window.Status.SCHEDULED}, "reschedule")
        if window.starts_at == starts_at and window.ends_at == ends_at:
            return _unchanged(window, _("The window already has these times."))
        check_new_times(starts_at, ends_at, now)
        return _apply(
            window,
            actor,
            "reschedule",
            reason,
            now,
            bump=True,
            starts_at=starts_at,
            ends_at=ends_at,
            edited_by_hand=True,
            **_promise(window, ends_at),
            **Window.local_start_fields(window.region.timezone, starts_at),
        )


def follow_zone_rules(window, starts_at, ends_at, actor=SCHEDULE, now=None):
    """Move a planned window that no one edited to new UTC times that keep its local wall-clock time.

    New time-zone data (a government changed its DST rules) can map the local time a window was planned for to
    another UTC instant. Announced or hand-edited windows are never moved here: a person reschedules them.
    """
    now = now or timezone.now()
    with transaction.atomic():
        window = _lock(window)
        _require(window, {Window.Status.PLANNED}, "zone_rules")
        if window.edited_by_hand:
            raise TransitionError(_("The window was edited by hand, so only a person may move it."))
        if window.starts_at == starts_at and window.ends_at == ends_at:
            return _unchanged(window, _("The window already has these times."))
        if starts_at <= now:
            raise TransitionError(_("The new start must lie in the future."))
        return _apply(
            window, actor, "zone_rules", ZONE_RULES_CHANGED, now, bump=True, starts_at=starts_at, ends_at=ends_at
        )


def extend(window, minutes=None, actor=None, reason="", now=None, until=None):
    """Push the end of a scheduled or running window back by ``minutes``, or to ``until`` (an absolute end, so a
    repeated call changes nothing). Either way the new end stays under the ceiling (``latest_end``)."""
    now = now or timezone.now()
    check_extension(minutes, until)
    with transaction.atomic():
        window = _lock(window)
        _require(window, {Window.Status.SCHEDULED, Window.Status.IN_PROGRESS}, "extend")
        if until is not None and until == window.ends_at:
            return _unchanged(window, _("The window already ends then."))
        new_end = extended_end(window.starts_at, window.ends_at, minutes, until, now)
        return _apply(
            window,
            actor,
            "extend",
            reason,
            now,
            bump=True,
            ends_at=new_end,
            edited_by_hand=True,
            **_promise(window, new_end),
        )


def _promise(window, new_end):
    """A change made before the window begins is announced ahead, so it moves the promised end; an extension
    while the window runs tells customers the new end but leaves the promise, and the SLA counts the overrun."""
    return {"announced_ends_at": new_end} if window.status == Window.Status.SCHEDULED else {}


def advance(now=None):
    """The beat's part: start due windows that auto-start, complete ended ones that auto-complete.

    Returns the outcomes. Each window is handled in its own transaction, so one
    refusal does not hold up the others.
    """
    now = now or timezone.now()
    outcomes = []
    due_to_start = Window.objects.filter(status=Window.Status.SCHEDULED, auto_start=True, starts_at__lte=now)
    for window_id in due_to_start.values_list("id", flat=True):
        outcomes.append(_try(start, window_id, now))
    due_to_complete = Window.objects.filter(status=Window.Status.IN_PROGRESS, auto_complete=True, ends_at__lte=now)
    for window_id in due_to_complete.values_list("id", flat=True):
        outcomes.append(_try(partial(complete, at_announced_end=True), window_id, now))
    return [outcome for outcome in outcomes if outcome is not None]


def _try(action, window_id, now):
    try:
        return action(Window(pk=window_id), actor=SCHEDULE, reason="automatic at the scheduled time", now=now)
    except (TransitionError, Window.DoesNotExist):
        return None  # someone else moved it first; the next tick sees the new state


def _lock(window):
    # Lock the window row only: locking the joined region would serialise every change in that region.
    return Window.objects.select_for_update(of=("self",)).select_related("region").get(pk=window.pk)


def _require(window, allowed, verb):
    if window.status not in allowed:
        state = window.get_status_display().lower()
        raise TransitionError(REFUSED[verb] % {"state": state})


def _unchanged(window, message):
    return Outcome(window=window, changed=False, message=message)


def _apply(window, actor, action, reason, now, bump=False, notes=None, **changes):
    """Write ``changes`` to the window and audit them; ``notes`` are extra audit entries ({name: [old, new]})."""
    diff = {}
    for field, new in changes.items():
        old = getattr(window, field)
        if old != new:
            if field not in DERIVED:
                diff[field] = [_jsonable(old), _jsonable(new)]
            setattr(window, field, new)
    if bump:
        diff["sequence"] = [window.sequence, window.sequence + 1]
        window.sequence += 1
    diff.update(notes or {})
    window.save(update_fields=[*changes, "sequence", "updated_at"])
    audit.record(actor, action, diff, now, reason, window=window)
    transaction.on_commit(partial(_tell, window.pk, action, window.sequence))
    return Outcome(window=window, changed=True, message=str(DONE[action]))


def _tell(window_id, action, sequence):
    """Send ``window_changed``; a failing listener is logged, never undoes the committed change."""
    for receiver, result in window_changed.send_robust(
        sender=Window, window_id=window_id, action=action, sequence=sequence
    ):
        if isinstance(result, Exception):
            logger.error("window_changed listener %r failed for window %s: %r", receiver, window_id, result)


def _jsonable(value):
    return value.isoformat() if hasattr(value, "isoformat") else value
