"""Bounds on a window's times, one rule each, checked for the admin, the API and the beat alike.


- the ceiling: no window ends more than ``MAX_LENGTH_MINUTES`` (the rule's longest
  window, 60 minutes, plus ``MAX_OVERRUN_MINUTES``) after its start, whether
  ``reschedule`` or ``extend`` moves the end (``latest_end``). A reschedule sets a new
  plan, which lasts 1 to 60 minutes like any planned window; extensions may add up
  to the overrun on top;
- the horizon: a reschedule starts at most ``MAX_MONTHS_AHEAD`` months after now and
  not before now.

A bad time raises ``TimesError``, which names the field at fault.

A start more than ``settings.START_LEAD_MINUTES`` before the window's start needs ``force``
(``too_early_to_start``).
"""

from datetime import UTC, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import rule

# The ceiling: an extension may run a window this far past the rule's longest window, and no further.
MAX_OVERRUN_MINUTES = 60
MAX_LENGTH_MINUTES = rule.MAX_MINUTES + MAX_OVERRUN_MINUTES
# The most one extension can add (to the shortest window); the ceiling usually allows less.
MAX_EXTENSION_MINUTES = MAX_LENGTH_MINUTES - rule.MIN_MINUTES
# The horizon: how far ahead a window may be moved.
MAX_MONTHS_AHEAD = 24


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
        raise TimesError("ends_at", ceiling_message(starts_at))


def ceiling_message(starts_at):
    return _("No window ends more than %(max)s minutes after its start (%(latest)s UTC for this one).") % {
        "max": MAX_LENGTH_MINUTES,
        "latest": latest_end(starts_at).strftime("%Y-%m-%d %H:%M"),
    }


def start_lead_minutes():
    return settings.START_LEAD_MINUTES


def too_early_to_start(window, now):
    """Whether starting ``window`` at ``now`` needs ``force``: more than the lead before its start."""
    return now < window.starts_at - timedelta(minutes=start_lead_minutes())


def check_extension(minutes, until):
    """Raise ``TimesError`` unless exactly one of ``minutes`` (1 to ``MAX_EXTENSION_MINUTES``) and ``until`` (with a
    UTC offset) is given."""
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


def check_offsets(starts_at, ends_at):
    """Raise ``TimesError`` naming the first of the new times given without a UTC offset."""
    for value in (starts_at, ends_at):
        if timezone.is_naive(value):
            raise TimesError(
                "starts_at" if value is starts_at else "ends_at", _("Give the new times with a UTC offset.")
            )


def extended_end(starts_at, ends_at, minutes, until, now):
    """The new end of a window from ``starts_at`` to ``ends_at`` extended by ``minutes`` or to ``until``; raises
    ``TimesError`` when it would shorten the window, pass the ceiling (``latest_end``) or the horizon."""
    field = "minutes" if until is None else "until"
    ceiling = latest_end(starts_at)
    if until is None:
        if timedelta(minutes=minutes) > ceiling - ends_at:
            raise TimesError(field, ceiling_message(starts_at))
        new_end = ends_at + timedelta(minutes=minutes)
    else:
        if until < ends_at:
            raise TimesError(field, _("until must lie after the window's current end; extend does not shorten."))
        if until > ceiling:
            raise TimesError(field, ceiling_message(starts_at))
        new_end = until
    if new_end > latest_start(now) + timedelta(minutes=MAX_LENGTH_MINUTES):
        raise TimesError(field, _("A window can end at most %(months)s months ahead.") % {"months": MAX_MONTHS_AHEAD})
    return new_end
