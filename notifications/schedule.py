"""What is due: the delivery rows that should exist by now.

Scheduling is level-triggered. ``create_due(now)`` looks at the windows' and incidents' state and the clock, works out
which rows should exist by now and creates the missing ones in bulk (a unique constraint makes a second run a no-op).
Sending them is the outbox's job (``notifications.outbox``).

Incident notices: the newest update of each incident posted with ``deliver_notifications`` in the last
``INCIDENT_LOOKBACK`` gets one row per (update, subscriber, channel) for each confirmed subscriber who follows
incidents, follows one of the incident's regions and was confirmed when the update was posted. (An older update gets
no new rows: they would be superseded at once.) The first update's row is the "opened" notice, a resolving update's
the "resolved" one, any other an "update". Then the run **coalesces**: a row still pending for an older update is
marked ``skipped`` ("superseded by a newer update") when the same subscriber has a row, on the same channel, for a
newer notifiable update of the same incident. That newer notice states the latest status and lists the earlier
updates' text, so a burst of updates posted while the older notices are still unsent reaches each person as one
email. The outbox applies the same rule again when it claims a row (a newer update may have come after the older row
was queued).
"""

from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from maintenance.models import Incident, IncidentUpdate, Window
from notifications.models import Delivery, Subscriber

# How far back the scheduler still looks: a notice that is this late is no longer worth sending.
CANCEL_LOOKBACK = timedelta(days=2)
START_END_LOOKBACK = timedelta(hours=6)
INCIDENT_LOOKBACK = timedelta(hours=6)
SUPERSEDED = "superseded by a newer update"
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
        _incident_notices(now, created)
    return created


def _audience(window, **filters):
    """Ids of the confirmed subscribers of the window's region who follow planned maintenance."""
    return set(
        Subscriber.objects.filter(
            state=Subscriber.State.CONFIRMED, topic_maintenance=True, regions=window.region_id, **filters
        )
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
    row = Delivery(window_id=window.pk, kind=kind, sequence=sequence, lead_minutes=lead)
    return insert_rows(row, subscriber_ids, now)


def insert_rows(row, subscriber_ids, now):
    """One row like ``row`` per subscriber, created at ``now`` and stamped as queued at ``now``; a row that exists
    is left as it is (the unique constraints). Returns how many rows were offered.

    The stamp says that the run which created the rows queues them: ``outbox.dispatch(now)`` with the same ``now``
    takes them without writing to them again, and a run that died first leaves them to the next beat after a lease.
    """
    row.created_at = row.queued_at = now
    ids = sorted(subscriber_ids)
    if connection.vendor == "postgresql":
        _insert_unnested(row, ids)
        return len(ids)
    rows = iter(ids)
    while batch := list(islice(rows, INSERT_BATCH)):
        Delivery.objects.bulk_create(
            [Delivery(**{**_values(row), "subscriber_id": subscriber_id}) for subscriber_id in batch],
            ignore_conflicts=True,
        )
    return len(ids)


def _values(row):
    return {f.attname: getattr(row, f.attname) for f in Delivery._meta.concrete_fields if not f.primary_key}


def _insert_unnested(row, subscriber_ids):
    """On PostgreSQL, one statement per batch: the row's values once and the subscriber ids as one array, so no
    model instance and no parameter is made per row."""
    fields = [f for f in Delivery._meta.concrete_fields if not f.primary_key]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in fields)
    values, params = [], []
    for f in fields:
        if f.attname == "subscriber_id":
            values.append("subscriber.id")
        else:
            values.append(f"%s::{f.db_type(connection)}")
            params.append(f.get_db_prep_save(getattr(row, f.attname), connection))
    sql = (
        f"INSERT INTO {quote(Delivery._meta.db_table)} ({columns}) SELECT {', '.join(values)} "
        "FROM unnest(%s::bigint[]) AS subscriber(id) ON CONFLICT DO NOTHING"
    )
    with connection.cursor() as cursor:
        for start in range(0, len(subscriber_ids), INSERT_BATCH):
            cursor.execute(sql, [*params, subscriber_ids[start : start + INSERT_BATCH]])


# --- Incidents ---------------------------------------------------------------------------------------------------


def incident_kind(update, first_update_id):
    """The notice an update makes: the incident's first update opens it, a resolving one resolves it."""
    if update.pk == first_update_id:
        return Delivery.Kind.INCIDENT_OPENED
    if update.status == Incident.Status.RESOLVED:
        return Delivery.Kind.INCIDENT_RESOLVED
    return Delivery.Kind.INCIDENT_UPDATE


def first_update_ids(incident_ids):
    """{incident id: id of its first update}, the update that opened it (whether or not it notified)."""
    first = {}
    rows = IncidentUpdate.objects.filter(incident_id__in=incident_ids).order_by("created_at", "id")
    for incident_id, update_id in rows.values_list("incident_id", "id"):
        first.setdefault(incident_id, update_id)
    return first


def _incident_notices(now, created):
    recent = IncidentUpdate.objects.filter(
        deliver_notifications=True, created_at__gte=now - INCIDENT_LOOKBACK, created_at__lte=now
    ).order_by("created_at", "id")
    newest = {update.incident_id: update for update in recent}  # the last one of each incident wins
    if not newest:
        return
    incident_ids = set(newest)
    updates = sorted(newest.values(), key=lambda update: (update.created_at, update.pk))
    first = first_update_ids(incident_ids)
    regions = {}
    for incident_id, region_id in Incident.regions.through.objects.filter(incident_id__in=incident_ids).values_list(
        "incident_id", "region_id"
    ):
        regions.setdefault(incident_id, set()).add(region_id)
    for update in updates:
        audience = set(
            Subscriber.objects.filter(
                state=Subscriber.State.CONFIRMED,
                topic_incidents=True,
                confirmed_at__lte=update.created_at,
                regions__in=regions.get(update.incident_id, ()),
            )
            .order_by()
            .values_list("id", flat=True)
        )
        told = set(
            Delivery.objects.filter(incident_update=update, channel=Delivery.Channel.EMAIL)
            .order_by()
            .values_list("subscriber_id", flat=True)
        )
        kind = incident_kind(update, first[update.incident_id])
        created[kind] += _insert_incident(update, kind, audience - told, now)
    for incident_id in sorted(incident_ids):
        coalesce(incident_id)


def coalesce(incident_id):
    """Skip each still-pending notice of the incident whose subscriber has a notice of a newer notifiable update on
    the same channel. Returns how many rows it skipped. Safe to run any number of times."""
    notifiable = list(
        IncidentUpdate.objects.filter(incident_id=incident_id, deliver_notifications=True)
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    )
    skipped = 0
    for channel in Delivery.Channel.values:
        for position, update_id in enumerate(notifiable[:-1]):
            newer = Delivery.objects.filter(incident_update_id__in=notifiable[position + 1 :], channel=channel)
            skipped += Delivery.objects.filter(
                incident_update_id=update_id,
                channel=channel,
                status=Delivery.Status.PENDING,
                subscriber_id__in=newer.values("subscriber_id"),
            ).update(status=Delivery.Status.SKIPPED, last_error=SUPERSEDED)
    return skipped


def _insert_incident(update, kind, subscriber_ids, now):
    row = Delivery(
        incident_id=update.incident_id,
        incident_update_id=update.pk,
        kind=kind,
        channel=Delivery.Channel.EMAIL,
        sequence=0,
    )
    return insert_rows(row, subscriber_ids, now)
