"""What is due: the delivery rows that should exist by now.

Scheduling is level-triggered. ``create_due(now)`` looks at the windows' state and the clock, works out which rows
should exist by now and creates the missing ones in bulk (a unique constraint makes a second run a no-op). Sending
them is the outbox's job (``notifications.outbox``).
"""

from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from maintenance.models import Window
from notifications.models import Delivery, Subscriber

# How far back the scheduler still looks: a notice that is this late is no longer worth sending.
CANCEL_LOOKBACK = timedelta(days=2)
START_END_LOOKBACK = timedelta(hours=6)
INSERT_BATCH = 2000
ADVISORY_LOCK = 0x0FF_9EA4  # serialises create_due() runs on PostgreSQL
# The notices that tell a subscriber the window's current times.
TELLS_TIMES = [Delivery.Kind.ANNOUNCEMENT, Delivery.Kind.RESCHEDULED]


def create_due(now=None):
    """Create every Delivery row that should exist by ``now`` and does not yet; returns {kind: rows offered}."""
    now = now or timezone.now()
    created = dict.fromkeys(Delivery.Kind.values, 0)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        upcoming = Window.objects.filter(status=Window.Status.SCHEDULED, starts_at__gt=now).select_related("region")
        for window in upcoming:
            _announcements(window, now, created)
            _reminders(window, now, created)
        cancelled = Window.objects.filter(
            status=Window.Status.CANCELLED, announced_at__isnull=False, starts_at__gte=now - CANCEL_LOOKBACK
        )
        for window in cancelled:
            _cancellation(window, now, created)
        started = Window.objects.filter(
            status__in=[Window.Status.IN_PROGRESS, Window.Status.COMPLETED],
            actual_start__gte=now - START_END_LOOKBACK,
            actual_start__lte=now,
        )
        for window in started:
            _start_end(window, Delivery.Kind.STARTED, now, created)
        completed = Window.objects.filter(
            status=Window.Status.COMPLETED, actual_end__gte=now - START_END_LOOKBACK, actual_end__lte=now
        )
        for window in completed:
            _start_end(window, Delivery.Kind.COMPLETED, now, created)
        # Extended while running: the extension bumped the sequence, and the notice carries the calendar's update.
        extended = Window.objects.filter(
            status=Window.Status.IN_PROGRESS,
            audit_events__action="extend",
            audit_events__created_at__gte=F("actual_start"),
        ).distinct()
        for window in extended:
            _extension(window, now, created)
    return created


def _audience(window, **filters):
    """Ids of the confirmed subscribers of the window's region."""
    return set(
        Subscriber.objects.filter(state=Subscriber.State.CONFIRMED, regions=window.region_id, **filters)
        .order_by()
        .values_list("id", flat=True)
    )


def _having(window, kinds, **filters):
    """Ids of the subscribers who have a row of one of ``kinds`` for the window."""
    return set(
        Delivery.objects.filter(window=window, kind__in=kinds, **filters)
        .order_by()
        .values_list("subscriber_id", flat=True)
    )


# The sets are worked out in Python: two index scans and a set difference cost the same at any table statistics,
# where an anti-join planned on stale statistics (right after a bulk insert) can take minutes.


def _announcements(window, now, created):
    audience = _audience(window)
    if not audience:
        return
    told = _having(window, TELLS_TIMES)
    told_now = _having(window, TELLS_TIMES, sequence=window.sequence)
    created[Delivery.Kind.ANNOUNCEMENT] += _insert(
        window, Delivery.Kind.ANNOUNCEMENT, window.sequence, 0, audience - told, now
    )
    moved = (audience & told) - told_now
    created[Delivery.Kind.RESCHEDULED] += _insert(window, Delivery.Kind.RESCHEDULED, window.sequence, 0, moved, now)


def _reminders(window, now, created):
    audience = None
    for lead in settings.NOTIFY_REMINDER_LEADS:
        due_at = window.starts_at - lead
        if now < due_at or window.announced_at is None or window.announced_at > due_at:
            continue  # not yet due, or the lead had passed when the window was announced
        minutes = int(lead.total_seconds()) // 60  # as the row records it
        audience = _audience(window) if audience is None else audience
        # Only people told of the current times before the lead: a later notice already covers the reminder.
        told_in_time = _having(window, TELLS_TIMES, sequence=window.sequence, created_at__lte=due_at)
        reminded = _having(window, [Delivery.Kind.REMINDER], sequence=window.sequence, lead_minutes=minutes)
        due = (audience & told_in_time) - reminded
        created[Delivery.Kind.REMINDER] += _insert(window, Delivery.Kind.REMINDER, window.sequence, minutes, due, now)


def _cancellation(window, now, created):
    told = _having(window, list(Delivery.PLAN_KINDS), status__in=[Delivery.Status.SENT, Delivery.Status.SENDING])
    due = (_audience(window) & told) - _having(window, [Delivery.Kind.CANCELLED])
    created[Delivery.Kind.CANCELLED] += _insert(window, Delivery.Kind.CANCELLED, window.sequence, 0, due, now)


def _start_end(window, kind, now, created):
    due = _audience(window, notify_start_end=True) - _having(window, [kind])
    created[kind] += _insert(window, kind, 0, 0, due, now)


def _extension(window, now, created):
    """The new end of a running window, once per sequence: an "extended" notice to those who chose start and end
    notices, and to everyone told of the plan, whose calendar entry the attached .ics (next SEQUENCE) moves."""
    told = _having(window, list(Delivery.PLAN_KINDS), status__in=[Delivery.Status.SENT, Delivery.Status.SENDING])
    audience = _audience(window)
    due = (_audience(window, notify_start_end=True) | (audience & told)) - _having(
        window, [Delivery.Kind.EXTENDED], sequence=window.sequence
    )
    created[Delivery.Kind.EXTENDED] += _insert(window, Delivery.Kind.EXTENDED, window.sequence, 0, due, now)


def _insert(window, kind, sequence, lead, subscriber_ids, now):
    ids = iter(sorted(subscriber_ids))
    while batch := list(islice(ids, INSERT_BATCH)):
        Delivery.objects.bulk_create(
            [
                Delivery(
                    window_id=window.pk,
                    subscriber_id=subscriber_id,
                    kind=kind,
                    sequence=sequence,
                    lead_minutes=lead,
                    created_at=now,
                )
                for subscriber_id in batch
            ],
            ignore_conflicts=True,
        )
    return len(subscriber_ids)
