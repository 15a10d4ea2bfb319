"""Time-zone rule changes: windows stored in UTC whose local time the installed zone data now reads differently.

Governments change their DST rules (Mexico 2022, Greenland 2023, Kazakhstan 2024); a new ``tzdata`` then maps the
local wall time a window was planned for to another UTC instant. Each window remembers that wall time
(``Window.local_date``, ``local_time``, ``local_zone``). ``check`` recomputes every future window from it with the
zone data installed now:

- a planned window that no one edited moves to the corrected UTC times through the lifecycle, audited
  "time-zone rules changed";
- an announced (or hand-edited) window is never moved silently: it is flagged once per corrected time with an
  audit event, and release managers get an email listing it with its announced and its new local time. The admin
  warns about it and offers one action that reschedules it through the lifecycle, which tells subscribers.

Release managers' mail is not customer mail, so it does not go through the subscriber outbox
(``notifications``, one row per window, subscriber and notice): ``notify_managers`` hands one message to Django's
mail API from the beat task or the command, the way ``mail_managers`` would.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.urls import reverse
from django.utils import timezone

from maintenance import audit, lifecycle, rule
from maintenance.models import AuditEvent, Window

FLAG = "zone_rules_flag"
MANAGE = "maintenance.manage_windows"


@dataclass(frozen=True)
class Shift:
    """A window whose remembered local start no longer matches its stored UTC start."""

    window: Window
    zone: object
    starts_at: datetime  # the UTC start that keeps the remembered local time
    ends_at: datetime

    @property
    def announced_local(self):
        """The local start the window was planned or announced for, read with the data installed now."""
        return self.starts_at.astimezone(self.zone)

    @property
    def drifted_local(self):
        """Where its stored UTC start now falls on the local clock, if nobody moves it."""
        return self.window.starts_at.astimezone(self.zone)

    @property
    def movable(self):
        return self.window.status == Window.Status.PLANNED and not self.window.edited_by_hand


@dataclass
class Report:
    moved: list = field(default_factory=list)  # lifecycle Outcomes
    flagged: list = field(default_factory=list)  # Shifts newly flagged for a person
    pending: list = field(default_factory=list)  # Shifts flagged before, still waiting for a person
    errors: list = field(default_factory=list)  # (window, message)

    def lines(self):
        for outcome in self.moved:
            yield f"moved    {outcome.window}  ({lifecycle.ZONE_RULES_CHANGED})"
        for shift in self.flagged:
            yield f"flagged  {describe(shift)}"
        for shift in self.pending:
            yield f"waiting  {describe(shift)}"
        for window, message in self.errors:
            yield f"error    {window}: {message}"


def shift_of(window):
    """The window's Shift, or None when its UTC start still gives its remembered local start."""
    tz = rule.zone(window.local_zone)
    wall = datetime.combine(window.local_date, window.local_time)
    readings = [wall.replace(tzinfo=tz, fold=fold).astimezone(UTC) for fold in (0, 1)]
    if window.starts_at in readings:  # either reading of an ambiguous hour is the same local time
        return None
    return Shift(window, tz, readings[0], readings[0] + (window.ends_at - window.starts_at))


def find(now):
    """The Shifts of every window still ahead that has not started, in start order."""
    windows = (
        Window.objects.filter(starts_at__gt=now, status__in=[Window.Status.PLANNED, Window.Status.SCHEDULED])
        .exclude(local_zone="")
        .select_related("region")
        .order_by("starts_at", "id")
    )
    shifts = []
    for window in windows:
        try:
            shift = shift_of(window)
        except ValueError:  # the zone is gone from the data: a person must look
            continue
        if shift is not None:
            shifts.append(shift)
    return shifts


def check(now=None):
    """Read the zone data afresh and deal with every window it moves; safe to run any number of times."""
    now = now or timezone.now()
    rule.forget_zone_data()
    report = Report()
    for shift in find(now):
        window = shift.window
        if shift.movable:
            try:
                report.moved.append(lifecycle.follow_zone_rules(window, shift.starts_at, shift.ends_at, now=now))
            except lifecycle.TransitionError as exc:  # someone changed it meanwhile; the next run sees the new state
                report.errors.append((window, str(exc)))
            continue
        target = shift.starts_at.isoformat()
        if AuditEvent.objects.filter(window=window, action=FLAG, changes__starts_at__1=target).exists():
            report.pending.append(shift)
            continue
        audit.record(
            lifecycle.SCHEDULE,
            FLAG,
            {
                "starts_at": [window.starts_at.isoformat(), target],
                "local_start": [_local(shift.drifted_local), _local(shift.announced_local)],
            },
            now,
            lifecycle.ZONE_RULES_CHANGED,
            window=window,
        )
        report.flagged.append(shift)
    return report


def realign(window, actor, now=None):
    """A person's one click: give the window the UTC times that keep its announced local time.

    A planned, unedited window follows the rules as the beat would; any other is rescheduled, which tells its
    subscribers with the rescheduled notice. Raises TransitionError when the window needs nothing or cannot move.
    """
    shift = shift_of(window)
    if shift is None:
        raise lifecycle.TransitionError("Its time already matches the installed time-zone rules.")
    if shift.movable:
        return lifecycle.follow_zone_rules(window, shift.starts_at, shift.ends_at, actor=actor, now=now)
    return lifecycle.reschedule(
        window, shift.starts_at, shift.ends_at, actor=actor, reason=lifecycle.ZONE_RULES_CHANGED, now=now
    )


def describe(shift):
    window = shift.window
    return (
        f"{window.region.slug} window {window.pk} ({window.get_status_display().lower()}): announced for "
        f"{_local(shift.announced_local)}, now falls at {_local(shift.drifted_local)}; "
        f"rescheduling keeps {shift.announced_local:%H:%M} local = {shift.starts_at:%Y-%m-%d %H:%M} UTC"
    )


def notify_managers(shifts):
    """One email to the people who manage windows, listing each flagged window; returns how many received it."""
    if not shifts:
        return 0
    recipients = sorted(
        {user.email for user in get_user_model().objects.with_perm(MANAGE, is_active=True) if user.email}
        | {email for _name, email in settings.MANAGERS}
    )
    if not recipients:
        return 0
    lines = [
        "New time-zone data moves the local time of windows customers were told about.",
        "They keep their UTC time until you reschedule them; nothing was changed.",
        "",
    ]
    for shift in shifts:
        url = settings.SITE_URL + reverse("admin:maintenance_window_change", args=[shift.window.pk])
        lines += [f"- {describe(shift)}", f"  {url}"]
    lines += ["", 'Reschedule each with the admin action "Keep the announced local time (time-zone rules changed)".']
    subject = f"{settings.EMAIL_SUBJECT_PREFIX}Time-zone rules changed: {len(shifts)} announced window(s) to review"
    send_mail(subject, "\n".join(lines), settings.SERVER_EMAIL, recipients)
    return len(recipients)


def _local(moment):
    return f"{moment:%a %Y-%m-%d %H:%M} {moment.tzname()}"
