"""The delivery outbox: what is due, who claims it, and what happened when it was sent.

Scheduling is level-triggered. ``plan(now)`` looks at the windows' state and the clock, works out which rows should
exist by now and creates the missing ones in bulk (a unique constraint makes a second run a no-op).
``dispatch(now)`` queues send tasks for rows that are due, including rows left in ``sending`` by a worker that died.
``send_chunk(ids)`` claims rows atomically, builds each message with the one builder, hands it to the mail backend
and records the outcome. A row is handed over more than once only if a worker dies between handing it over and
recording it: at most the rows in flight at the crash go twice, and none is lost.
"""

import logging
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone

from maintenance.models import Window
from notifications.emails import RenderCache, build_message
from notifications.models import Delivery, Subscriber
from notifications.transports import DeliveryError, check_status, classify

logger = logging.getLogger(__name__)
Kind = Delivery.Kind
Status = Delivery.Status

# How far back the scheduler still looks: a notice that is this late is no longer worth sending.
CANCEL_LOOKBACK = timedelta(days=2)
START_END_LOOKBACK = timedelta(hours=6)
INSERT_BATCH = 2000
ADVISORY_LOCK = 0x0FF_9EA4  # serialises plan() runs on PostgreSQL

_LEAD = re.compile(r"^\s*(\d+)\s*([dhm])\s*$")
_UNITS = {"d": 1440, "h": 60, "m": 1}


def parse_leads(text):
    """``"24h,1h,30m"`` → ``[1440, 60, 30]`` (minutes, longest first). Raise ImproperlyConfigured otherwise."""
    leads = set()
    for part in str(text).split(","):
        if not part.strip():
            continue
        match = _LEAD.match(part)
        if not match or int(match[1]) == 0:
            raise ImproperlyConfigured(
                f"NOTIFY_REMINDER_LEADS must be a comma-separated list such as 24h,1h,30m; got {text!r}."
            )
        leads.add(int(match[1]) * _UNITS[match[2]])
    return sorted(leads, reverse=True)


# --- What is due -------------------------------------------------------------------------------------------------


def plan(now=None):
    """Create every Delivery row that should exist by ``now`` and does not yet; returns {kind: rows offered}."""
    now = now or timezone.now()
    created = dict.fromkeys(Kind.values, 0)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        upcoming = Window.objects.filter(status=Window.Status.SCHEDULED, starts_at__gt=now).select_related("region")
        for window in upcoming:
            _plan_announcements(window, now, created)
            _plan_reminders(window, now, created)
        cancelled = Window.objects.filter(
            status=Window.Status.CANCELLED, announced_at__isnull=False, starts_at__gte=now - CANCEL_LOOKBACK
        )
        for window in cancelled:
            _plan_cancellation(window, now, created)
        started = Window.objects.filter(
            status__in=[Window.Status.IN_PROGRESS, Window.Status.COMPLETED],
            actual_start__gte=now - START_END_LOOKBACK,
            actual_start__lte=now,
        )
        for window in started:
            _plan_start_end(window, Kind.STARTED, now, created)
        completed = Window.objects.filter(
            status=Window.Status.COMPLETED, actual_end__gte=now - START_END_LOOKBACK, actual_end__lte=now
        )
        for window in completed:
            _plan_start_end(window, Kind.COMPLETED, now, created)
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


def _plan_announcements(window, now, created):
    audience = _audience(window)
    if not audience:
        return
    told = _having(window, [Kind.ANNOUNCEMENT, Kind.RESCHEDULED])
    told_now = _having(window, [Kind.ANNOUNCEMENT, Kind.RESCHEDULED], sequence=window.sequence)
    created[Kind.ANNOUNCEMENT] += _insert(window, Kind.ANNOUNCEMENT, window.sequence, 0, audience - told, now)
    moved = (audience & told) - told_now
    created[Kind.RESCHEDULED] += _insert(window, Kind.RESCHEDULED, window.sequence, 0, moved, now)


def _plan_reminders(window, now, created):
    audience = None
    for lead in parse_leads(settings.NOTIFY_REMINDER_LEADS):
        due_at = window.starts_at - timedelta(minutes=lead)
        if now < due_at or window.announced_at is None or window.announced_at > due_at:
            continue  # not yet due, or the lead had passed when the window was announced
        audience = _audience(window) if audience is None else audience
        # Only people told of the current times before the lead: a later notice already covers the reminder.
        told_in_time = _having(
            window, [Kind.ANNOUNCEMENT, Kind.RESCHEDULED], sequence=window.sequence, created_at__lte=due_at
        )
        reminded = _having(window, [Kind.REMINDER], sequence=window.sequence, lead_minutes=lead)
        due = (audience & told_in_time) - reminded
        created[Kind.REMINDER] += _insert(window, Kind.REMINDER, window.sequence, lead, due, now)


def _plan_cancellation(window, now, created):
    told = _having(window, list(Delivery.PLAN_KINDS), status__in=[Status.SENT, Status.SENDING])
    due = (_audience(window) & told) - _having(window, [Kind.CANCELLED])
    created[Kind.CANCELLED] += _insert(window, Kind.CANCELLED, window.sequence, 0, due, now)


def _plan_start_end(window, kind, now, created):
    due = _audience(window, notify_start_end=True) - _having(window, [kind])
    created[kind] += _insert(window, kind, 0, 0, due, now)


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


# --- Queueing ----------------------------------------------------------------------------------------------------


def _claimable(now):
    return Q(status=Status.PENDING) & (Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)) | Q(
        status=Status.SENDING, lease_until__lt=now
    )


def dispatch(now=None, enqueue=None):
    """Queue send tasks for every due row not queued recently and every expired lease; returns the row count."""
    now = now or timezone.now()
    enqueue = enqueue or enqueue_chunk
    requeue_before = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    due = Delivery.objects.filter(_claimable(now)).filter(Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before))
    ids = list(due.order_by("id").values_list("id", flat=True))
    size = settings.DELIVERY_CHUNK_SIZE
    for start in range(0, len(ids), size):
        chunk = ids[start : start + size]
        Delivery.objects.filter(id__in=chunk).update(queued_at=now)
        enqueue(chunk)
    return len(ids)


def enqueue_chunk(ids, countdown=None):
    from notifications.tasks import send_chunk

    options = {"countdown": countdown} if countdown else {}
    if settings.NOTIFY_QUEUE:
        options["queue"] = settings.NOTIFY_QUEUE
    send_chunk.apply_async(args=[list(ids)], **options)


def enqueue_after_commit(ids):
    """Queue these rows once the current transaction commits; a broker outage leaves them to the beat."""
    ids = list(ids)

    def _go():
        try:
            enqueue_chunk(ids)
        except Exception:
            logger.exception("could not queue deliveries %s; the periodic scheduler will pick them up", ids)

    transaction.on_commit(_go)


# --- Sending -----------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    sent: list = field(default_factory=list)  # (id, esp message id)
    retry: list = field(default_factory=list)  # (id, reason, attempts)
    failed: list = field(default_factory=list)  # (id, reason)
    skipped: list = field(default_factory=list)  # (id, reason)
    suppressed: list = field(default_factory=list)  # (id, reason)

    def summary(self):
        return {name: len(getattr(self, name)) for name in ("sent", "retry", "failed", "skipped", "suppressed")}


def claim(ids, now=None):
    """Take the claimable rows among ``ids`` for this worker; returns them with subscriber and window loaded."""
    return _claim(ids, now)[0]


def _claim(ids, now=None):
    """Claim the rows and load what sending them needs, all in one transaction: if the database goes away before
    the end, nothing is claimed and a retry of the task finds the rows free, rather than leased to nobody.
    Returns (deliveries, {(subscriber id, region id)} of the current memberships)."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        # Look the rows up by primary key and decide in Python: rows locked by another worker are skipped, and the
        # ones we lock cannot change under us before the UPDATE.
        rows = Delivery.objects.filter(id__in=list(ids)).order_by()
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        claimed = [
            pk
            for pk, status, next_attempt_at, lease in rows.values_list("id", "status", "next_attempt_at", "lease_until")
            if status == Status.PENDING
            and (next_attempt_at is None or next_attempt_at <= now)
            or status == Status.SENDING
            and lease is not None
            and lease < now
        ]
        if claimed:
            Delivery.objects.filter(id__in=claimed).update(
                status=Status.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
            )
        else:
            return [], set()
        deliveries = list(
            Delivery.objects.filter(id__in=claimed).select_related("subscriber", "window__region").order_by("id")
        )
        memberships = set(
            Subscriber.regions.through.objects.filter(
                subscriber_id__in={d.subscriber_id for d in deliveries},
                region_id__in={d.window.region_id for d in deliveries if d.window_id},
            ).values_list("subscriber_id", "region_id")
        )
    return deliveries, memberships


def send_chunk(ids, now=None):
    """Claim, build, send and record the given rows. Safe to run twice with the same ids."""
    deliveries, memberships = _claim(ids, now)
    if not deliveries:
        return Outcome()
    outcome = Outcome()
    cache = RenderCache()
    backend = get_connection()
    is_open = False
    try:
        for delivery in deliveries:
            verdict = _verdict(delivery, memberships, now or timezone.now())
            if verdict:
                getattr(outcome, verdict[0]).append((delivery.pk, verdict[1]))
                continue
            try:
                message = build_message(delivery, cache, connection=backend)
                if not is_open:
                    backend.open()  # one connection for the chunk; send_messages() then leaves it open
                    is_open = True
                if backend.send_messages([message]) != 1:
                    raise DeliveryError("the mail backend accepted no message", permanent=False)
                outcome.sent.append((delivery.pk, check_status(message) or ""))
            except Exception as exc:  # every failure is classified and recorded on the row, none is lost
                error = classify(exc)
                logger.warning("delivery %s failed (%s): %s", delivery.pk, error.permanent, error.reason)
                if error.permanent:
                    outcome.failed.append((delivery.pk, error.reason))
                elif delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
                    outcome.failed.append((delivery.pk, f"gave up after {delivery.attempts} attempts: {error.reason}"))
                else:
                    outcome.retry.append((delivery.pk, error.reason, delivery.attempts))
                _close(backend)  # the connection may be broken; the next message opens a fresh one
                is_open = False
    finally:
        _close(backend)
    _record_through_outage(outcome, now)
    return outcome


def _record_through_outage(outcome, now):
    """Record the outcome even if the database went away while the chunk was being sent.

    These messages have been handed over: left unrecorded, each row would go out again once its lease runs out.
    So a lost connection (a database restart, a failover) is retried on a fresh connection until the lease would
    run out, and only then given up, leaving the rows to the lease as before.
    """
    deadline = time.monotonic() + settings.DELIVERY_LEASE_SECONDS
    pause = 0.5
    while True:
        try:
            record(outcome, now)
            return
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + pause >= deadline:
                raise
            logger.warning("the database went away while recording a chunk (%s); retrying in %.1fs", exc, pause)
            connection.close()  # the next query opens a new connection
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _verdict(delivery, memberships, now):
    """Why a claimed row must not be sent, as (outcome list, reason), or None to send it."""
    subscriber, window = delivery.subscriber, delivery.window
    if subscriber.state == Subscriber.State.SUPPRESSED:
        return "suppressed", "the address is suppressed"
    if delivery.attempts > settings.DELIVERY_MAX_ATTEMPTS:
        return "failed", f"gave up after {delivery.attempts - 1} attempts"
    if delivery.kind == Kind.CONFIRM:
        return None if subscriber.state == Subscriber.State.PENDING else ("skipped", "no longer awaiting confirmation")
    if subscriber.state != Subscriber.State.CONFIRMED:
        return "skipped", f"the subscriber is {subscriber.state}"
    if delivery.kind == Kind.ALREADY_SUBSCRIBED:
        return None
    if (subscriber.pk, window.region_id) not in memberships:
        return "skipped", "the subscriber no longer follows this region"
    if delivery.kind in Delivery.PLAN_KINDS:
        if window.sequence != delivery.sequence:
            return "skipped", f"superseded by sequence {window.sequence}"
        if window.status != Window.Status.SCHEDULED:
            return "skipped", f"the window is {window.status}"
        if delivery.kind == Kind.REMINDER and window.starts_at <= now:
            return "skipped", "the window has already begun"
    if delivery.kind == Kind.CANCELLED and window.status != Window.Status.CANCELLED:
        return "skipped", f"the window is {window.status}"
    return None


def record(outcome, now=None):
    """Write what happened to each row; only rows this worker still holds in ``sending`` change."""
    now = now or timezone.now()
    mine = Delivery.objects.filter(status=Status.SENDING)
    if outcome.sent:
        sent_ids = [pk for pk, _message_id in outcome.sent]
        mine.filter(id__in=sent_ids).update(status=Status.SENT, sent_at=now, lease_until=None, last_error="")
        with_ids = [Delivery(pk=pk, esp_message_id=message_id[:255]) for pk, message_id in outcome.sent if message_id]
        Delivery.objects.bulk_update(with_ids, ["esp_message_id"], batch_size=500)
    for name, status in (("failed", Status.FAILED), ("skipped", Status.SKIPPED), ("suppressed", Status.SUPPRESSED)):
        by_reason = {}
        for pk, reason in getattr(outcome, name):
            by_reason.setdefault(reason[:500], []).append(pk)
        for reason, ids in by_reason.items():
            mine.filter(id__in=ids).update(status=status, lease_until=None, last_error=reason)
    by_delay = {}
    for pk, reason, attempts in outcome.retry:
        delay = settings.DELIVERY_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        mine.filter(id=pk).update(
            status=Status.PENDING,
            lease_until=None,
            last_error=reason[:500],
            next_attempt_at=now + timedelta(seconds=delay),
            queued_at=now,
        )
        by_delay.setdefault(delay, []).append(pk)
    for delay, ids in by_delay.items():
        try:
            enqueue_chunk(ids, countdown=delay)
        except Exception:
            logger.exception("could not queue the retry of %s; the periodic scheduler will", ids)


def _close(backend):
    try:
        backend.close()
    except Exception:  # closing a broken connection can fail again; the next open() starts afresh
        logger.debug("closing the mail connection failed", exc_info=True)


def schedule_due(now=None):
    """The beat's job: create what is due, then queue what is waiting."""
    now = now or timezone.now()
    created = plan(now)
    queued = dispatch(now)
    return {"created": created, "queued": queued}
