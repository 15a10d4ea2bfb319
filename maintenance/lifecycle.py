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

Bounds on times, one rule each, checked here for the admin, the API and the beat alike:

- the ceiling: no window ends more than ``MAX_LENGTH_MINUTES`` (the rule's longest
  window, 60 minutes, plus ``MAX_OVERRUN_MINUTES``) after its start, whether
  ``reschedule`` or ``extend`` moves the end (``latest_end``). A reschedule sets a new
  plan, which lasts 1 to 60 minutes like any planned window; extensions may add up
  to the overrun on top;
- the horizon: a reschedule starts at most ``MAX_MONTHS_AHEAD`` months after now and
  not before now.

A bad time raises ``TimesError``, which names the field at fault.
"""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maintenance import audit, rule
from maintenance.audit import Actor
from maintenance.models import Window
from maintenance.signals import window_changed

logger = logging.getLogger(__name__)
# The ceiling: an extension may run a window this far past the rule's longest window, and no further.
MAX_OVERRUN_MINUTES = 60
MAX_LENGTH_MINUTES = rule.MAX_MINUTES + MAX_OVERRUN_MINUTES
# The most one extension can add (to the shortest window); the ceiling usually allows less.
MAX_EXTENSION_MINUTES = MAX_LENGTH_MINUTES - rule.MIN_MINUTES
# The horizon: how far ahead a window may be moved.
MAX_MONTHS_AHEAD = 24
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


class TransitionError(Exception):
    """A change the lifecycle does not allow; the message says why, for people."""


class TimesError(TransitionError):
    """A time out of bounds (or without an offset); ``field`` names the input at fault."""

    def __init__(self, field, message):
        super().__init__(message)
        self.field = field


def latest_end(starts_at):
    """The ceiling: the latest end any window starting at ``starts_at`` may have (the calendar's last instant
    when that lies beyond it)."""
    try:
        return starts_at + timedelta(minutes=MAX_LENGTH_MINUTES)
    except OverflowError:
        return datetime.max.replace(tzinfo=UTC)


def latest_start(now):
    """The horizon: the latest start a reschedule may give."""
    return now + relativedelta(months=MAX_MONTHS_AHEAD)


def check_new_times(starts_at, ends_at, now):
    """Raise ``TimesError`` naming the field unless these are times a window may be moved to."""
    for field, value in (("starts_at", starts_at), ("ends_at", ends_at)):
        if timezone.is_naive(value):
            raise TimesError(field, _("Give the time with a UTC offset, e.g. 2027-01-30T14:00:00Z or +09:00."))
    if starts_at <= now:
        raise TimesError("starts_at", _("The new start must lie in the future."))
    if starts_at > latest_start(now):
        raise TimesError(
            "starts_at",
            _("A window can be moved at most %(months)s months ahead, to %(latest)s UTC at the latest.")
            % {"months": MAX_MONTHS_AHEAD, "latest": latest_start(now).strftime("%Y-%m-%d %H:%M")},
        )
    minutes = (ends_at - starts_at) / timedelta(minutes=1)
    if not rule.MIN_MINUTES <= minutes <= rule.MAX_MINUTES:
        raise TimesError(
            "ends_at",
            _("A window lasts %(min)s to %(max)s minutes; asked for %(minutes)s.")
            % {"min": rule.MIN_MINUTES, "max": rule.MAX_MINUTES, "minutes": f"{minutes:g}"},
        )
    if ends_at > latest_end(starts_at):  # the shared ceiling; never reached while a plan lasts at most 60 minutes
        raise TimesError("ends_at", _ceiling_message(starts_at))


def _ceiling_message(starts_at):
    return _("No window ends more than %(max)s minutes after its start (%(latest)s UTC for this one).") % {
        "max": MAX_LENGTH_MINUTES,
        "latest": latest_end(starts_at).strftime("%Y-%m-%d %H:%M"),
    }


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


def start_lead_minutes():
    return settings.START_LEAD_MINUTES


def too_early_to_start(window, now):
    """Whether starting ``window`` at ``now`` needs ``force``: more than the lead before its start."""
    return now < window.starts_at - timedelta(minutes=start_lead_minutes())


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
    for value in (starts_at, ends_at):
        if timezone.is_naive(value):
            raise TimesError(
                "starts_at" if value is starts_at else "ends_at", _("Give the new times with a UTC offset.")
            )
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
    if (minutes is None) == (until is None):
        raise TimesError("minutes", _("Give either minutes or until, not both."))
    if until is None and (
        not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= MAX_EXTENSION_MINUTES
    ):
        raise TimesError(
            "minutes",
            _("An extension is 1 to %(max)s minutes; got %(minutes)r.")
            % {"max": MAX_EXTENSION_MINUTES, "minutes": minutes},
        )
    if until is not None and timezone.is_naive(until):
        raise TimesError("until", _("Give the time with a UTC offset, e.g. 2027-01-30T14:00:00Z or +09:00."))
    field = "minutes" if until is None else "until"
    with transaction.atomic():
        window = _lock(window)
        _require(window, {Window.Status.SCHEDULED, Window.Status.IN_PROGRESS}, "extend")
        ceiling = latest_end(window.starts_at)
        if until is None:
            if timedelta(minutes=minutes) > ceiling - window.ends_at:
                raise TimesError(field, _ceiling_message(window.starts_at))
            new_end = window.ends_at + timedelta(minutes=minutes)
        else:
            if until == window.ends_at:
                return _unchanged(window, _("The window already ends then."))
            if until < window.ends_at:
                raise TimesError(field, _("until must lie after the window's current end; extend does not shorten."))
            if until > ceiling:
                raise TimesError(field, _ceiling_message(window.starts_at))
            new_end = until
        if new_end > latest_start(now) + timedelta(minutes=MAX_LENGTH_MINUTES):
            raise TimesError(
                field, _("A window can end at most %(months)s months ahead.") % {"months": MAX_MONTHS_AHEAD}
            )
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
