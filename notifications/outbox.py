"""The delivery outbox: queueing due rows, claiming them, sending them and recording what happened.

``dispatch(now)`` queues send tasks for rows that are due, including rows left in ``sending`` by a worker that died.
``send_chunk(ids)`` claims a task's rows atomically (``DELIVERY_CHUNKS_PER_TASK`` chunks at once), builds each message
with the one builder, hands it to the mail backend and records the results chunk by chunk. A row is handed over more
than once only if a worker dies between handing it over and recording it: at most the rows in flight at the crash go
twice (no more than a chunk per process), and none is lost. Which rows should exist at all is
``notifications.schedule``'s job.

Incident notices travel the same way. When one is claimed, the outbox checks that its subscriber still follows
incidents and one of the incident's regions, and that no newer notice of the same incident waits for the same
subscriber: an older one is then ``skipped`` as "superseded by a newer update" (coalescing, as the scheduler does).
"""

import logging
import time
from dataclasses import dataclass, field
from datetime import timedelta
from functools import lru_cache

from django.conf import settings
from django.core.mail import get_connection
from django.db import InterfaceError, OperationalError, connection, transaction
from django.db.models import BooleanField, Case, F, Q, When
from django.utils import timezone

from maintenance import plainsql
from maintenance.models import Incident, IncidentUpdate, Region, Window
from notifications import incident_emails, queueing
from notifications.emails import RenderCache, build_message
from notifications.models import Delivery, Subscriber
from notifications.schedule import SUPERSEDED
from notifications.transports import DeliveryError, check_status, classify

logger = logging.getLogger(__name__)


# --- Queueing ----------------------------------------------------------------------------------------------------


def dispatch(now=None, enqueue=None):
    """Queue send tasks for every due row not queued recently and every expired lease; returns the row count.

    Rows that ``schedule.create_due(now)`` created at this same ``now`` are already stamped as queued by this run:
    they are queued with the others, and only the rest get their stamp written.
    """
    now = now or timezone.now()
    enqueue = enqueue or enqueue_chunk
    requeue_before = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    due = Delivery.objects.filter(Delivery.claimable(now)).filter(
        Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before) | Q(queued_at=now)
    )
    rows = list(due.order_by("id").values_list("id", "queued_at"))
    size = settings.DELIVERY_CHUNK_SIZE * settings.DELIVERY_CHUNKS_PER_TASK
    for start in range(0, len(rows), size):
        task = rows[start : start + size]
        stale = [pk for pk, queued_at in task if queued_at != now]
        if stale:
            Delivery.objects.filter(plainsql.any_of(Delivery, "id", stale)).update(queued_at=now)
        enqueue([pk for pk, _queued_at in task])
    return len(rows)


def enqueue_chunk(ids):
    """Publish a send task for these rows now; the broker's error, if any, goes to the caller (the beat's task)."""
    queueing.publish(queueing.SEND_CHUNK, [list(ids)])


# --- Sending -----------------------------------------------------------------------------------------------------


@dataclass
class SendResult:
    """What happened to each row of a chunk, by row id, until ``record_result`` writes it down."""

    sent: list = field(default_factory=list)  # (id, esp message id)
    retry: list = field(default_factory=list)  # (id, reason, attempts)
    failed: list = field(default_factory=list)  # (id, reason)
    skipped: list = field(default_factory=list)  # (id, reason)
    suppressed: list = field(default_factory=list)  # (id, reason)

    OUTCOMES = ("sent", "retry", "failed", "skipped", "suppressed")

    def summary(self):
        return {name: len(getattr(self, name)) for name in self.OUTCOMES}

    def add(self, other):
        for name in self.OUTCOMES:
            getattr(self, name).extend(getattr(other, name))


@dataclass
class Facts:
    """What deciding whether a claimed row may still go needs, read in the claim's transaction."""

    memberships: set = field(default_factory=set)  # {(subscriber id, region id)}
    incident_regions: dict = field(default_factory=dict)  # {incident id: {region id}}
    superseded: set = field(default_factory=set)  # ids of incident notices a newer notice replaces


# Columns that deciding, building and recording a message never read: left out of the claimed rows, they cost no
# transfer and no conversion (the times most of all).
NOT_FOR_SENDING = [
    "last_error",
    "created_at",
    "queued_at",
    "next_attempt_at",
    "lease_until",
    "sent_at",
    "esp_message_id",
    "subscriber__canonical_email",
    "subscriber__state_reason",
    "subscriber__confirm_requests",
    "subscriber__created_at",
    "subscriber__confirmed_at",
    "subscriber__updated_at",
]


def claim(ids, now=None):
    """Take the claimable rows among ``ids`` for this worker; returns them with subscriber and window loaded."""
    return _claim(ids, now)[0]


def _claim(ids, now=None):
    """Claim the rows and load what sending them needs, all in one transaction: if the database goes away before
    the end, nothing is claimed and a retry of the task finds the rows free, rather than leased to nobody.
    Returns (deliveries, Facts)."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # These are short lookups by key; compiling one (JIT) costs more than running it.
                cursor.execute("SET LOCAL jit = off")
        deliveries = _take_and_load(ids, now, lease_until)
        if not deliveries:
            return [], Facts()
        notices = [d for d in deliveries if d.incident_update_id]
        _attach(deliveries, "window", _windows({d.window_id for d in deliveries if d.window_id}))
        _attach(notices, "incident_update", IncidentUpdate.objects.in_bulk({d.incident_update_id for d in notices}))
        facts = Facts()
        for incident_id, region_id in Incident.regions.through.objects.filter(
            incident_id__in={d.incident_id for d in notices}
        ).values_list("incident_id", "region_id"):
            facts.incident_regions.setdefault(incident_id, set()).add(region_id)
        regions = {d.window.region_id for d in deliveries if d.window_id}.union(*facts.incident_regions.values())
        facts.memberships = _memberships({d.subscriber_id for d in deliveries}, regions)
        facts.superseded = _superseded(notices)
    return deliveries, facts


def _attach(deliveries, name, instances):
    """Set each row's ``name`` relation to its instance in ``instances`` (by id): a chunk's rows share a window or an
    update or two, each read once rather than joined onto every row."""
    for delivery in deliveries:
        related_id = getattr(delivery, f"{name}_id")
        if related_id is not None:
            setattr(delivery, name, instances[related_id])


def _windows(window_ids):
    """{id: window, with its region} for these windows (a chunk's one or two), in one fixed query."""
    if not window_ids:
        return {}
    names = _concrete(Window)
    window, region = plainsql.loader(Window, names), plainsql.loader(Region, _concrete(Region))
    windows = {}
    sql = _windows_sql().format(ids=plainsql.placeholders(window_ids))
    for values in plainsql.rows(sql, sorted(window_ids)):
        loaded = windows[values[0]] = window(values[: len(names)])
        loaded.region = region(values[len(names) :])
    return windows


def _concrete(model, leaving=()):
    """The attnames of ``model``'s stored columns, but for ``leaving``, in the model's order."""
    return [f.attname for f in model._meta.concrete_fields if f.attname not in leaving]


@plainsql.written_once
def _windows_sql():
    columns = [plainsql.column(Window, name) for name in _concrete(Window)]
    columns += [plainsql.column(Region, name) for name in _concrete(Region)]
    return (
        f"SELECT {', '.join(columns)} FROM {plainsql.table(Window)} JOIN {plainsql.table(Region)} "
        f"ON {plainsql.column(Region, 'id')} = {plainsql.column(Window, 'region')} "
        f"WHERE {plainsql.column(Window, 'id')} IN ({{ids}})"
    )


def _take(ids, now, lease_until):
    """Without ``SKIP LOCKED`` (SQLite, whose writers take turns): mark the claimable rows among ``ids`` as
    ``sending`` under a lease for this worker; returns their ids.

    The rows are looked up by primary key only, and the rule is read as a column rather than a condition, so no
    table statistics can lead the planner to another index.
    """
    rows = Delivery.objects.filter(id__in=ids).order_by().annotate(is_claimable=Delivery.claimable(now))
    claimed = [pk for pk, is_claimable in rows.values_list("id", "is_claimable") if is_claimable]
    if claimed:
        Delivery.objects.filter(id__in=claimed).update(
            status=Delivery.Status.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
        )
    return claimed


def _take_and_load(ids, now, lease_until):
    """Lock, mark and load the claimable rows among ``ids``; returns them, in id order, with their subscribers, as the
    update left them (``sending``, the lease, one more attempt), without the columns sending never reads
    (``NOT_FOR_SENDING``).

    On PostgreSQL this is one statement: rows another worker has locked are skipped, and each row is written once.
    The ids go in as one array, and the statement's text is the same for every chunk, so neither Django nor the
    driver puts it together again.
    """
    ids = sorted(ids)
    if not ids:
        return []
    if connection.vendor != "postgresql":
        claimed = _take(ids, now, lease_until)
        loaded = Delivery.objects.filter(id__in=claimed).select_related("subscriber").defer(*NOT_FOR_SENDING)
        return list(loaded.order_by("id")) if claimed else []
    query = Delivery.objects.annotate(is_claimable=Delivery.claimable(now)).query
    rule, rule_params = query.get_compiler(connection=connection).compile(query.annotations["is_claimable"])
    delivery_names, subscriber_names = _claim_columns()
    row, subscriber = plainsql.loader(Delivery, delivery_names), plainsql.loader(Subscriber, subscriber_names)
    deliveries = []
    for values in sorted(
        plainsql.rows(_take_and_load_sql(rule), [*rule_params, ids, Delivery.Status.SENDING, lease_until])
    ):
        delivery = row(values[: len(delivery_names)])
        delivery.subscriber = subscriber(values[len(delivery_names) :])
        deliveries.append(delivery)
    return deliveries


def _claim_columns():
    """The attnames ``_take_and_load`` reads of a row and of its subscriber; the row's id comes first."""
    subscriber_prefix = "subscriber__"
    leaving_subscriber = {n.removeprefix(subscriber_prefix) for n in NOT_FOR_SENDING if n.startswith(subscriber_prefix)}
    return _concrete(Delivery, leaving=set(NOT_FOR_SENDING)), _concrete(Subscriber, leaving=leaving_subscriber)


@lru_cache(maxsize=4)
def _take_and_load_sql(rule):
    # MATERIALIZED keeps the rule out of the lookup: pushed down, it could send the planner to the status index.
    delivery_fields, subscriber_fields = _claim_columns()
    returning = [plainsql.column(Delivery, name) for name in delivery_fields]
    returning += [plainsql.column(Subscriber, name) for name in subscriber_fields]
    delivery, subscriber = plainsql.table(Delivery), plainsql.table(Subscriber)
    return (
        f"WITH candidate AS MATERIALIZED (SELECT id, {rule} AS is_claimable FROM {delivery} "
        "WHERE id = ANY(%s::bigint[]) FOR UPDATE SKIP LOCKED) "
        f"UPDATE {delivery} SET status = %s, lease_until = %s, attempts = {delivery}.attempts + 1 FROM {subscriber} "
        f"WHERE {plainsql.column(Delivery, 'id')} = ANY(ARRAY(SELECT id FROM candidate WHERE is_claimable)) "
        f"AND {plainsql.column(Subscriber, 'id')} = {plainsql.column(Delivery, 'subscriber')} "
        f"RETURNING {', '.join(returning)}"
    )


def _memberships(subscriber_ids, region_ids):
    """{(subscriber id, region id)} for these subscribers in these regions.

    The rows are looked up by subscriber only and the regions kept here: given the regions, the planner may scan a
    region's index, that is all of its members, for every chunk. On PostgreSQL each subscriber is a lookup of its
    own (a subquery per id, on a subscriber index), with or without table statistics.
    """
    Through = Subscriber.regions.through
    if connection.vendor != "postgresql":
        rows = Through.objects.filter(subscriber_id__in=subscriber_ids).values_list("subscriber_id", "region_id")
    else:
        with connection.cursor() as cursor:
            # An ARRAY() subquery stays a subplan run per id: a join could be planned as a scan of the whole table.
            cursor.execute(
                f"SELECT id, ARRAY(SELECT region_id FROM {connection.ops.quote_name(Through._meta.db_table)} "
                "WHERE subscriber_id = subscriber.id) FROM unnest(%s::bigint[]) AS subscriber(id)",
                [sorted(subscriber_ids)],
            )
            rows = [(subscriber_id, region) for subscriber_id, regions in cursor.fetchall() for region in regions]
    return {(subscriber_id, region_id) for subscriber_id, region_id in rows if region_id in region_ids}


def _superseded(notices):
    """The ids among these incident notices for which the same subscriber has a notice of a newer update of the same
    incident on the same channel."""
    if not notices:
        return set()
    newest = {}
    rows = Delivery.objects.filter(
        incident_id__in={d.incident_id for d in notices}, subscriber_id__in={d.subscriber_id for d in notices}
    ).values_list("incident_id", "subscriber_id", "channel", "incident_update__created_at", "incident_update_id")
    for incident_id, subscriber_id, channel, created_at, update_id in rows:
        key = (incident_id, subscriber_id, channel)
        newest[key] = max(newest.get(key, (created_at, update_id)), (created_at, update_id))
    return {
        d.pk
        for d in notices
        if newest[(d.incident_id, d.subscriber_id, d.channel)] != (d.incident_update.created_at, d.incident_update_id)
    }


def send_chunk(ids, now=None):
    """Claim, build, send and record the given rows. Safe to run twice with the same ids.

    The rows are claimed at once and recorded a chunk (``DELIVERY_CHUNK_SIZE``) at a time, each chunk as soon as it
    has been handed over: a worker killed mid-task has at most one chunk handed over and not recorded, and the rows
    it had not reached wait for their lease as before. A task that runs long renews the lease of the rows it has not
    reached yet, so no other worker takes them while this one is still on its way.
    """
    started, claimed = now or timezone.now(), time.monotonic()
    deliveries, facts = _claim(ids, started)
    result = SendResult()
    if not deliveries:
        return result
    cache = RenderCache.for_worker()  # one render and one MIME template per group, kept for the next chunks
    incident_cache = incident_emails.RenderCache()
    backend = get_connection()
    size, leased = settings.DELIVERY_CHUNK_SIZE, claimed
    try:
        for start in range(0, len(deliveries), size):
            if start and time.monotonic() - leased > settings.DELIVERY_LEASE_SECONDS / 2:
                leased = time.monotonic()
                _renew_lease([d.pk for d in deliveries[start:]], started + timedelta(seconds=leased - claimed))
            chunk = _send(deliveries[start : start + size], facts, now, backend, cache, incident_cache)
            _record_through_outage(chunk, now)
            result.add(chunk)
    finally:
        _close(backend)
    return result


def _send(deliveries, facts, now, backend, cache, incident_cache):
    """Hand these claimed rows' messages to the backend, over its one open connection; returns what happened."""
    result = SendResult()
    is_open = False
    for delivery in deliveries:
        verdict = _verdict(delivery, facts, now or timezone.now())
        if verdict:
            getattr(result, verdict[0]).append((delivery.pk, verdict[1]))
            continue
        try:
            if delivery.incident_update_id:
                message = incident_emails.build_message(delivery, incident_cache, connection=backend)
            else:
                message = build_message(delivery, cache, connection=backend)
            if not is_open:
                # Opens the connection unless it is open from the last chunk; send_messages() then leaves it open.
                backend.open()
                is_open = True
            if backend.send_messages([message]) != 1:
                raise DeliveryError("the mail backend accepted no message", permanent=False)
            result.sent.append((delivery.pk, check_status(message) or ""))
        except Exception as exc:  # every failure is classified and recorded on the row, none is lost
            error = classify(exc)
            logger.warning("delivery %s failed (%s): %s", delivery.pk, error.permanent, error.reason)
            if error.permanent:
                result.failed.append((delivery.pk, error.reason))
            elif delivery.attempts >= settings.DELIVERY_MAX_ATTEMPTS:
                result.failed.append((delivery.pk, f"gave up after {delivery.attempts} attempts: {error.reason}"))
            else:
                result.retry.append((delivery.pk, error.reason, delivery.attempts))
            _close(backend)  # the connection may be broken; the next message opens a fresh one
            is_open = False
    return result


def _renew_lease(ids, now):
    """Extend the lease of the rows among ``ids`` this worker still holds, from ``now`` (the task's clock)."""
    _held(ids).update(lease_until=now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS))


def _record_through_outage(result, now):
    """Record the result even if the database went away while the chunk was being sent.

    These messages have been handed over: left unrecorded, each row would go out again once its lease runs out.
    So a lost connection (a database restart, a failover) is retried on a fresh connection until the lease would
    run out, and only then given up, leaving the rows to the lease as before.
    """
    deadline = time.monotonic() + settings.DELIVERY_LEASE_SECONDS
    pause = 0.5
    while True:
        try:
            record_result(result, now)
            return
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + pause >= deadline:
                raise
            logger.warning("the database went away while recording a chunk (%s); retrying in %.1fs", exc, pause)
            connection.close()  # the next query opens a new connection
            time.sleep(pause)
            pause = min(pause * 2, 5.0)


def _verdict(delivery, facts, now):
    """Why a claimed row must not be sent, as (SendResult list, reason), or None to send it."""
    subscriber, window = delivery.subscriber, delivery.window
    if subscriber.state == Subscriber.State.SUPPRESSED:
        return "suppressed", "the address is suppressed"
    if delivery.attempts > settings.DELIVERY_MAX_ATTEMPTS:
        return "failed", f"gave up after {delivery.attempts - 1} attempts"
    if delivery.kind == Delivery.Kind.CONFIRM:
        return None if subscriber.state == Subscriber.State.PENDING else ("skipped", "no longer awaiting confirmation")
    if subscriber.state != Subscriber.State.CONFIRMED:
        return "skipped", f"the subscriber is {subscriber.state}"
    if delivery.kind == Delivery.Kind.ALREADY_SUBSCRIBED:
        return None
    if delivery.incident_update_id:
        return _incident_verdict(delivery, facts)
    if not subscriber.topic_maintenance:
        return "skipped", "the subscriber no longer follows planned maintenance"
    if (subscriber.pk, window.region_id) not in facts.memberships:
        return "skipped", "the subscriber no longer follows this region"
    if delivery.kind in Delivery.PLAN_KINDS:
        if window.sequence != delivery.sequence:
            return "skipped", f"superseded by sequence {window.sequence}"
        if window.status != Window.Status.SCHEDULED:
            return "skipped", f"the window is {window.status}"
        if delivery.kind == Delivery.Kind.REMINDER and window.starts_at <= now:
            return "skipped", "the window has already begun"
    if delivery.kind == Delivery.Kind.CANCELLED and window.status != Window.Status.CANCELLED:
        return "skipped", f"the window is {window.status}"
    return None


def _incident_verdict(delivery, facts):
    subscriber = delivery.subscriber
    if not subscriber.topic_incidents:
        return "skipped", "the subscriber no longer follows incidents"
    affected = facts.incident_regions.get(delivery.incident_id, set())
    if not any((subscriber.pk, region_id) in facts.memberships for region_id in affected):
        return "skipped", "the subscriber follows none of the incident's regions"
    if delivery.pk in facts.superseded:
        return "skipped", SUPERSEDED
    return None


def record_result(result, now=None):
    """Write what happened to each row; only rows this worker still holds in ``sending`` change."""
    now = now or timezone.now()
    if result.sent:
        sent_ids = [pk for pk, _message_id in result.sent]
        _held(sent_ids).update(status=Delivery.Status.SENT, sent_at=now, lease_until=None, last_error="")
        with_ids = [Delivery(pk=pk, esp_message_id=message_id[:255]) for pk, message_id in result.sent if message_id]
        Delivery.objects.bulk_update(with_ids, ["esp_message_id"], batch_size=500)
    for name, status in (
        ("failed", Delivery.Status.FAILED),
        ("skipped", Delivery.Status.SKIPPED),
        ("suppressed", Delivery.Status.SUPPRESSED),
    ):
        by_reason = {}
        for pk, reason in getattr(result, name):
            by_reason.setdefault(reason[:500], []).append(pk)
        for reason, ids in by_reason.items():
            _held(ids).update(status=status, lease_until=None, last_error=reason)
    by_delay = {}
    for pk, reason, attempts in result.retry:
        delay = settings.DELIVERY_RETRY_BASE_SECONDS * 2 ** (attempts - 1)
        _held([pk]).update(
            status=Delivery.Status.PENDING,
            lease_until=None,
            last_error=reason[:500],
            next_attempt_at=now + timedelta(seconds=delay),
            queued_at=now,
        )
        by_delay.setdefault(delay, []).append(pk)
    for delay, ids in by_delay.items():
        queueing.publish_on_commit(queueing.SEND_CHUNK, [ids], countdown=delay)  # else the beat finds them


def _held(ids):
    """The rows among ``ids`` still in ``sending``: the ones this worker holds.

    Looked up by primary key only. The status is read as a value rather than a condition: as a condition it can lead
    the planner to the status index, whose entries for rows sent since the last vacuum it would walk every time.
    """
    held = Case(When(status=Delivery.Status.SENDING, then=True), default=False, output_field=BooleanField())
    return Delivery.objects.filter(plainsql.any_of(Delivery, "id", ids)).alias(held=held).filter(held=True)


def _close(backend):
    try:
        backend.close()
    except Exception:  # closing a broken connection can fail again; the next open() starts afresh
        logger.debug("closing the mail connection failed", exc_info=True)
