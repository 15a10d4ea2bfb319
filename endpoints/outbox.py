"""The endpoint outbox: queueing due rows, claiming them in order, posting them and recording what happened.

The pattern is notifications' outbox: ``dispatch(now)`` queues chunks of claimable rows; ``send_chunk(ids)`` claims
rows atomically (``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL) under a lease, sends them and records the
outcome. One rule more: the events of one endpoint go out in the order they happened. A row is claimed only when no
older event row of its endpoint is still waiting, and when one fails the later ones in the chunk are put back.

A webhook is a success on a 2xx answer within 10 seconds; anything else (a redirect, an error, no answer) is
retried with exponential backoff until the endpoint has failed for WEBHOOK_RETRY_HOURS, then the subscription is
disabled; a 410 Gone disables it at once. Its owner is emailed when it keeps failing and when it is disabled.
"""

import json
import logging
import os
import threading
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from itertools import islice

from django.conf import settings
from django.core.mail import get_connection
from django.db import connection, transaction
from django.db.models import F, Prefetch, Q, prefetch_related_objects
from django.utils import timezone, translation

from endpoints import channels, events, http, notices, queueing, signing, vault
from endpoints.guard import Resolutions, UnsafeURL
from endpoints.models import Channel, EndpointDelivery, WebhookSubscription
from endpoints.payloads import PageState
from maintenance import plainsql
from maintenance.models import AuditEvent, IncidentUpdate
from maintenance.state import fingerprint
from notifications.transports import classify

logger = logging.getLogger(__name__)

RETRY_BASE_SECONDS = 60
RETRY_CAP_SECONDS = 6 * 3600
STREAM_KINDS = [EndpointDelivery.Kind.EVENT, EndpointDelivery.Kind.TEST]
WAITING = [EndpointDelivery.Status.PENDING, EndpointDelivery.Status.SENDING]
UNSUBSCRIBE_PLACEHOLDER = "\u0000unsubscribe\u0000"
DISPATCH_ORDER = ("subscription_id", "channel_id", "event_at", "id")  # each endpoint's rows together, oldest first
SEND_WIDTH = 4  # endpoints a chunk posts to at once to begin with
STALL_SECONDS = 0.05  # when none of them has answered for this long, twice as many (up to ENDPOINT_SEND_THREADS)
PAYLOAD_SECONDS = 5  # the longest a process reuses an event's payload, however unchanged its data


def retry_delay(attempts):
    """Seconds before the next try after ``attempts`` tries: 1, 2, 4, ... minutes, at most 6 hours."""
    return min(RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0), RETRY_CAP_SECONDS)


# --- Queueing ----------------------------------------------------------------------------------------------------


def dispatch(now=None, enqueue=None, endpoints=None):
    """Queue send tasks for the claimable rows not queued recently (of ``endpoints`` only, a list of
    (subscription ids, channel ids), queued or not); returns the row count."""
    now = now or timezone.now()
    enqueue = enqueue or queueing.send_chunk
    due = EndpointDelivery.objects.filter(EndpointDelivery.claimable(now))
    if endpoints is None:
        requeue_before = now - timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
        due = due.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=requeue_before))
    else:
        subscription_ids, channel_ids = endpoints
        subscriptions = plainsql.any_of(EndpointDelivery, "subscription_id", subscription_ids)
        due = due.filter(subscriptions | plainsql.any_of(EndpointDelivery, "channel_id", channel_ids))
    ids = list(due.order_by(*DISPATCH_ORDER).values_list("id", flat=True))
    for chunk in chunks(ids):
        EndpointDelivery.objects.filter(plainsql.any_of(EndpointDelivery, "id", chunk)).update(queued_at=now)
        enqueue(chunk)
    return len(ids)


def queue(ids, enqueue=None):
    """Queue send tasks for these rows, already marked as queued and in dispatch's order (as ``create_due`` makes
    them); returns the row count."""
    enqueue = enqueue or queueing.send_chunk
    for chunk in chunks(ids):
        enqueue(chunk)
    return len(ids)


def chunks(ids):
    size = settings.DELIVERY_CHUNK_SIZE
    return [ids[start : start + size] for start in range(0, len(ids), size)]


# --- Claiming ----------------------------------------------------------------------------------------------------


def _stream(subscription_id, channel_id):
    return ("subscription", subscription_id) if subscription_id else ("channel", channel_id)


def claim(ids, now=None):
    """Take the claimable rows among ``ids`` whose older events have gone; returns them, oldest first, with their
    subscription or channel loaded."""
    now = now or timezone.now()
    lease_until = now + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    if connection.vendor == "postgresql":
        rows = _claim_returning(list(ids), now, lease_until)
        _load_endpoints(rows)
        return [row for row in rows if row.subscription or row.channel]  # not of an endpoint deleted meanwhile
    with transaction.atomic():
        rows = EndpointDelivery.objects.filter(id__in=list(ids)).order_by().annotate(ok=EndpointDelivery.claimable(now))
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True)
        found = rows.values_list("id", "subscription_id", "channel_id", "kind", "event_at", "ok")
        candidates = {row[0]: row[1:5] for row in found if row[5]}
        claimed = _in_order(candidates)
        if not claimed:
            return []
        EndpointDelivery.objects.filter(id__in=claimed).update(
            status=EndpointDelivery.Status.SENDING, lease_until=lease_until, attempts=F("attempts") + 1
        )
        rows = list(
            EndpointDelivery.objects.filter(id__in=claimed)
            .select_related("subscription", "channel")
            .order_by("event_at", "id")
        )
    # The owner's emails name the subscription's regions; the events need none.
    prefetch_related_objects([row for row in rows if row.kind in EndpointDelivery.OWNER_KINDS], "subscription__regions")
    return rows


class Claimed:
    """A claimed row as ``send_chunk`` reads it: the columns ``_claim_returning`` returns, and its endpoint."""

    __slots__ = ("pk", "subscription_id", "channel_id", "kind", "event", "event_at", "message_id", "attempts")
    __slots__ += ("created_at", "subscription", "channel")

    def __init__(self, *columns):
        for name, value in zip(self.__slots__, columns, strict=False):
            setattr(self, name, value)
        self.subscription = self.channel = None

    @property
    def webhook_id(self):
        return f"msg_{self.message_id.hex}"


def _claim_returning(ids, now, lease_until):
    """PostgreSQL: lock the claimable rows among ``ids`` (skipping those another worker holds), keep those no older
    waiting event of their endpoint holds back, and take them under a lease, in one statement; returns them as
    Claimed rows, oldest first.

    A row of an event stream waits while an older row of its endpoint is pending or sending and is not among the
    locked candidates (they go out in this chunk, in order): the rule of ``_in_order``, in SQL.
    """
    if not ids:
        return []
    table = connection.ops.quote_name(EndpointDelivery._meta.db_table)
    candidates, params = (
        EndpointDelivery.objects.filter(EndpointDelivery.claimable(now), plainsql.any_of(EndpointDelivery, "id", ids))
        .order_by()
        .values("id", "subscription_id", "channel_id", "kind", "event_at")
        .query.sql_with_params()
    )
    older = f"""
        SELECT 1 FROM {table} w
        WHERE w.{{column}} = c.{{column}} AND w.kind = ANY(%s) AND w.status = ANY(%s)
          AND (w.event_at, w.id) < (c.event_at, c.id) AND w.id NOT IN (SELECT id FROM candidates)
    """
    query = f"""
        WITH candidates AS MATERIALIZED ({candidates} FOR UPDATE SKIP LOCKED),
        claimed AS (
            SELECT c.id FROM candidates c
            WHERE c.kind <> ALL(%s)
               OR (NOT EXISTS ({older.format(column="subscription_id")})
                   AND NOT EXISTS ({older.format(column="channel_id")}))
        )
        UPDATE {table} AS r SET status = %s, lease_until = %s, attempts = r.attempts + 1
        WHERE r.id = ANY(ARRAY(SELECT id FROM claimed))
        RETURNING r.id, r.subscription_id, r.channel_id, r.kind, r.event, r.event_at, r.message_id, r.attempts,
                  r.created_at
    """
    kinds, waiting = [str(kind) for kind in STREAM_KINDS], [str(status) for status in WAITING]
    params = [*params, kinds, kinds, waiting, kinds, waiting, EndpointDelivery.Status.SENDING, lease_until]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        rows = [Claimed(*row) for row in cursor.fetchall()]
    rows.sort(key=lambda row: (row.event_at, row.pk))
    return rows


def _load_endpoints(rows):
    """Give the Claimed rows their subscription or channel, each loaded once; the owner's emails also name the
    subscription's regions."""
    subscription_ids = {row.subscription_id for row in rows if row.subscription_id}
    found = WebhookSubscription.objects.filter(plainsql.any_of(WebhookSubscription, "id", subscription_ids))
    subscriptions = {subscription.pk: subscription for subscription in found}
    channels = Channel.objects.in_bulk({row.channel_id for row in rows if row.channel_id})
    for row in rows:
        row.subscription = subscriptions.get(row.subscription_id)
        row.channel = channels.get(row.channel_id)
    owners = {row.subscription.pk: row.subscription for row in rows if row.kind in EndpointDelivery.OWNER_KINDS}
    prefetch_related_objects(list(owners.values()), "regions")


def _in_order(candidates):
    """The candidates (``{id: (subscription, channel, kind, event_at)}``) no older waiting event row holds back."""
    streamed = {pk: row for pk, row in candidates.items() if row[2] in STREAM_KINDS}
    subscription_ids = {row[0] for row in streamed.values() if row[0]}
    channel_ids = {row[1] for row in streamed.values() if row[1]}
    first_waiting = {}
    if streamed:
        waiting = (
            EndpointDelivery.objects.filter(Q(subscription_id__in=subscription_ids) | Q(channel_id__in=channel_ids))
            .filter(kind__in=STREAM_KINDS, status__in=WAITING)
            .exclude(id__in=list(candidates))
            .values_list("subscription_id", "channel_id", "event_at", "id")
        )
        for subscription_id, channel_id, event_at, pk in waiting:
            key = _stream(subscription_id, channel_id)
            first_waiting[key] = min(first_waiting.get(key, (event_at, pk)), (event_at, pk))
    return [
        pk
        for pk, (subscription_id, channel_id, kind, event_at) in candidates.items()
        if pk not in streamed
        or _stream(subscription_id, channel_id) not in first_waiting
        or (event_at, pk) < first_waiting[_stream(subscription_id, channel_id)]
    ]


# --- Sending -----------------------------------------------------------------------------------------------------


class Failure(Exception):
    """A row could not be sent. ``gone``: the endpoint said 410 Gone; ``permanent``: trying again cannot help."""

    def __init__(self, reason, *, status=None, gone=False, permanent=False):
        super().__init__(reason)
        self.reason = str(reason)[:500]
        self.status = status
        self.gone = gone
        self.permanent = permanent


@dataclass
class Outcome:
    """What happened to each row of a chunk, and to the endpoints, until ``record`` writes it down."""

    sent: list = field(default_factory=list)  # (id, HTTP status or None)
    retry: list = field(default_factory=list)  # (id, reason, attempts, HTTP status)
    failed: list = field(default_factory=list)  # (id, reason, HTTP status)
    skipped: list = field(default_factory=list)  # (id, reason)
    released: list = field(default_factory=list)  # ids put back untried, behind a failed older event
    healthy: set = field(default_factory=set)  # subscription ids that answered 2xx
    failing: dict = field(default_factory=dict)  # subscription id: reason
    disable: dict = field(default_factory=dict)  # subscription id: reason

    def summary(self):
        return {name: len(getattr(self, name)) for name in ("sent", "retry", "failed", "skipped", "released")}

    def merge(self, other):
        for name in ("sent", "retry", "failed", "skipped", "released"):
            getattr(self, name).extend(getattr(other, name))
        self.healthy |= other.healthy
        self.failing.update(other.failing)
        self.disable.update(other.disable)


def send_chunk(ids, now=None):
    """Claim, send and record the given rows. Safe to run twice with the same ids.

    Each endpoint's rows go out one after another, in order; different endpoints are posted to at the same time
    (``_post_streams``), so one slow endpoint does not hold up the others. The sending threads touch no database:
    the payloads are built before, and the outcome recorded after.
    """
    now = now or timezone.now()
    rows = claim(ids, now)
    outcome = Outcome()
    if not rows:
        return outcome
    sending = Sending(now)
    sending.messages.prepare(row.event for row in rows if row.kind == EndpointDelivery.Kind.EVENT)
    streams, owners = {}, []
    for row in rows:
        if row.kind in STREAM_KINDS:
            streams.setdefault(_stream(row.subscription_id, row.channel_id), []).append(row)
        else:
            owners.append(row)
    if streams:
        outcome.merge(_post_streams(streams.values(), sending))
    if owners:
        mail = get_connection()  # one connection for the chunk's owner emails, in this thread
        for row in owners:
            outcome.merge(_send_stream([row], sending, mail=mail))
    record(outcome, now)
    touched = ({r.subscription_id for r in rows if r.subscription_id}, {r.channel_id for r in rows if r.channel_id})
    if outcome.sent:
        dispatch(now, endpoints=touched)  # the next events of these endpoints, held back until now
    return outcome


class Senders:
    """A process's sending threads, kept from chunk to chunk: at most ENDPOINT_SEND_THREADS, each started when a
    stream finds none idle."""

    def __init__(self):
        self._pool = self._size = None
        self._lock = threading.Lock()

    def submit(self, function, *args):
        with self._lock:
            if self._size != settings.ENDPOINT_SEND_THREADS:
                if self._pool is not None:
                    self._pool.shutdown(wait=False)
                self._size = settings.ENDPOINT_SEND_THREADS
                self._pool = ThreadPoolExecutor(max_workers=self._size, thread_name_prefix="endpoint-send")
            return self._pool.submit(function, *args)


senders = Senders()
os.register_at_fork(after_in_child=senders.__init__)  # a child starts its own threads


def _post_streams(streams, sending):
    """Send each endpoint's rows (``_send_stream``), a few endpoints at once to begin with (SEND_WIDTH): while none
    of those being posted to has answered for STALL_SECONDS, twice as many at once, up to ENDPOINT_SEND_THREADS.

    So slow endpoints get as many threads as they need, and fast ones, which keep their threads busy rather than
    waiting, few: threads that all want the interpreter at once spend the CPU handing it over.
    """
    outcome = Outcome()
    waiting = iter(streams)
    width, running = min(SEND_WIDTH, settings.ENDPOINT_SEND_THREADS), set()
    while True:
        running |= {senders.submit(_send_stream, stream, sending) for stream in islice(waiting, width - len(running))}
        if not running:
            return outcome
        done, running = wait(running, timeout=STALL_SECONDS, return_when=FIRST_COMPLETED)
        if not done:
            width = min(width * 2, settings.ENDPOINT_SEND_THREADS)
        for future in done:
            outcome.merge(future.result())


class Sending:
    """What the rows of one chunk share while they go out: the time, the payloads, the guard's lookups (each host
    resolved and checked again at most every few seconds), the unsubscribe links and the secrets (each made or
    decrypted once)."""

    def __init__(self, now):
        self.now = now
        self.messages = Messages(now)
        self.check = Resolutions()
        self._unsubscribe_url = notices.unsubscribe_urls()
        self._links = {}
        self._secrets = {}

    def unsubscribe_url(self, subscription):
        """The subscription's unsubscribe link, made once per chunk (its events are told in one chunk)."""
        link = self._links.get(subscription.pk)
        if link is None:
            link = self._links[subscription.pk] = self._unsubscribe_url(subscription)
        return link

    def secret(self, token):
        """The decrypted ``token``; a permanent Failure when no key decrypts it."""
        secret = self._secrets.get(token)
        if secret is None:
            try:
                secret = vault.decrypt(token)
            except vault.CannotDecrypt as exc:
                raise Failure(str(exc), permanent=True) from None
            self._secrets[token] = secret
        return secret


def _send_stream(stream, sending, mail=None):
    """Send one endpoint's rows in order, stopping at the first failure; returns their Outcome."""
    now = sending.now
    outcome = Outcome()
    for index, row in enumerate(stream):
        reason = _skip_reason(row)
        if reason:
            outcome.skipped.append((row.pk, reason))
            continue
        try:
            if row.kind in EndpointDelivery.OWNER_KINDS:
                _send_notice(row, mail)
                outcome.sent.append((row.pk, None))
            elif row.subscription_id:
                outcome.sent.append((row.pk, _send_webhook(row, sending)))
                outcome.healthy.add(row.subscription_id)
            else:
                _send_to_channel(row, sending)
                outcome.sent.append((row.pk, None))
        except Exception as exc:  # whatever went wrong is recorded on the row and retried; the chunk carries on
            if not isinstance(exc, Failure):
                logger.exception("endpoint delivery %s raised", row.pk)
            failure = exc if isinstance(exc, Failure) else Failure(f"{type(exc).__name__}: {exc}")
            _failed(row, failure, outcome, now)
            outcome.released += [later.pk for later in stream[index + 1 :]]
            break
    return outcome


def _skip_reason(row):
    if row.subscription_id:
        state = row.subscription.state
        if row.kind == EndpointDelivery.Kind.CONFIRM:
            return None if state == WebhookSubscription.State.PENDING else f"the subscription is {state}"
        if row.kind == EndpointDelivery.Kind.DISABLED:
            return None if state == WebhookSubscription.State.DISABLED else f"the subscription is {state}"
        if state != WebhookSubscription.State.ACTIVE:
            return f"the subscription is {state}"
    elif not row.channel.active:
        return "the channel is inactive"
    return None


def _failed(row, failure, outcome, now):
    logger.warning("endpoint delivery %s failed: %s", row.pk, failure.reason)
    subscription = row.subscription if row.kind in STREAM_KINDS else None
    if subscription is not None:
        outcome.failing[subscription.pk] = failure.reason
        failing_since = subscription.failing_since or now
        if failure.gone:
            outcome.disable[subscription.pk] = failure.reason
        elif now - failing_since >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
            outcome.disable[subscription.pk] = f"failing for more than {settings.WEBHOOK_RETRY_HOURS} hours"
        if subscription.pk in outcome.disable:
            outcome.failed.append((row.pk, failure.reason, failure.status))
            return
    elif failure.permanent or now - row.created_at >= timedelta(hours=settings.WEBHOOK_RETRY_HOURS):
        outcome.failed.append((row.pk, failure.reason, failure.status))
        return
    outcome.retry.append((row.pk, failure.reason, row.attempts, failure.status))


def _send_notice(row, mail):
    try:
        message = notices.build_notice(row, connection=mail)
        if mail.send_messages([message]) != 1:
            raise Failure("the mail backend accepted no message")
    except Failure:
        raise
    except Exception as exc:  # every mail error is classified (notifications.transports) and recorded on the row
        error = classify(exc)
        raise Failure(error.reason, permanent=error.permanent) from None


def _send_webhook(row, sending):
    subscription = row.subscription
    body = sending.messages.body(row.event, sending.unsubscribe_url(subscription))
    secret = sending.secret(subscription.secret_encrypted)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": f"Offpeak-Webhooks/1 (+{settings.SITE_URL})",
        **signing.headers(secret, row.webhook_id, sending.now, body),
    }
    try:
        answer = http.post(subscription.url, body, headers, check=sending.check)
    except (UnsafeURL, http.SendFailed) as exc:
        raise Failure(str(exc)) from None
    if 200 <= answer.status < 300:
        return answer.status
    snippet = answer.body[:200].decode("utf-8", "replace").strip()
    reason = f"HTTP {answer.status}" + (f": {snippet}" if snippet else "")
    raise Failure(reason, status=answer.status, gone=answer.status == 410)


def _send_to_channel(row, sending):
    url = sending.secret(row.channel.url_encrypted)
    title, body = sending.messages.text(row)
    try:
        channels.post(url, title, body)
    except channels.ChannelError as exc:
        raise Failure(exc.reason) from None


class Built:
    """The payloads this process built, for its next chunks (a fan-out's chunks all tell the same events): each
    event's payload, read from the database with the page's state, is built once for as long as the data it is read
    from keeps its version (``maintenance.state.fingerprint``), and for at most PAYLOAD_SECONDS, its
    ``generated_at`` and the page's state (which the clock alone can change) being as of when it was built."""

    def __init__(self, seconds=None, size=64):
        self.seconds = PAYLOAD_SECONDS if seconds is None else seconds
        self.size = size
        self._lock = threading.Lock()
        self._built = {}  # key: (version, built at, (payload, its body's bytes around the link) or a Failure)

    def get(self, key, version, now):
        found = self._built.get(key)
        if found is None or found[0] != version or not timedelta(0) <= now - found[1] < timedelta(seconds=self.seconds):
            return None
        return found[2]

    def put(self, key, version, now, built):
        with self._lock:
            if len(self._built) >= self.size:
                oldest = sorted(self._built, key=lambda name: self._built[name][1])
                for name in oldest[: len(oldest) - self.size + 1]:
                    del self._built[name]
            self._built[key] = (version, now, built)

    def clear(self):
        with self._lock:
            self._built.clear()


built = Built()
os.register_at_fork(after_in_child=built.clear)


class Messages:
    """The payloads of a chunk's events in the site's language, each built once for every endpoint it goes to (and,
    through ``built``, for the next chunks of this process while its data has not changed)."""

    def __init__(self, now, built=built):
        self.now = now
        self._state = None
        self._version = None
        self._built = built
        self._payloads = {}
        self._bodies = {}
        self._events = {}

    @property
    def state(self):
        if self._state is None:
            self._state = PageState(self.now)
        return self._state

    @property
    def version(self):
        """The version of the data the payloads are read from, as this chunk first asked (one query)."""
        if self._version is None:
            self._version = fingerprint()
        return self._version

    def prepare(self, keys):
        """Build the payloads of these events now, in this thread (the sending threads only read them)."""
        for key in keys:
            if key in self._payloads:
                continue
            found = self._built.get(key, self.version, self.now)
            if found is None:
                found = self._make(key)
                self._built.put(key, self.version, self.now, found)
            if isinstance(found, Failure):
                self._payloads[key] = found
            else:
                self._payloads[key], self._bodies[key] = found

    def _make(self, key):
        """(the payload of ``key``, the bytes of its body before and after the unsubscribe link), or its Failure."""
        try:
            with translation.override(settings.LANGUAGE_CODE):
                payload = self._build(key)
        except Failure as failure:
            return failure
        meta = {**payload["meta"], "unsubscribe": UNSUBSCRIBE_PLACEHOLDER}
        text = json.dumps({**payload, "meta": meta}, ensure_ascii=False, separators=(",", ":"))
        # ``meta`` comes first, so the first placeholder is the link's
        before, _placeholder, after = text.partition(json.dumps(UNSUBSCRIBE_PLACEHOLDER))
        return payload, (before.encode("utf-8"), after.encode("utf-8"))

    def payload(self, key):
        """The Statuspage webhook payload of the event ``key`` (``meta.unsubscribe`` is the caller's)."""
        self.prepare([key])
        built = self._payloads[key]
        if isinstance(built, Failure):
            raise built
        return built

    def _build(self, key):
        payload = self.state.envelope(unsubscribe_url=None)
        if key.startswith("component:"):
            _component, event_key, region = key.split(":")
            event = self._event(event_key)
            region_id = int(region.removeprefix("region-"))
            changes = {pk: (old, new) for pk, old, new in events.component_changes(event)}
            regions = [event.window.region] if isinstance(event, AuditEvent) else event.incident.regions.all()
            found = [r for r in regions if r.pk == region_id]
            if region_id not in changes or not found:
                raise Failure(f"the event no longer changes region {region_id}", permanent=True)
            ident = f"{event_key}-region-{region_id}"
            payload.update(self.state.component_update(found[0], *changes[region_id], event.created_at, ident))
        elif key.startswith("incident-update-"):
            payload["incident"] = self.state.incident(self._event(key))
        else:
            payload["incident"] = self.state.maintenance(self._event(key))
        return payload

    def _event(self, key):
        """The IncidentUpdate or AuditEvent that ``key`` names, with what its payload reads, loaded once for the
        chunk (its component updates' payloads read it too); a permanent Failure if it is gone."""
        found = self._events.get(key)
        if found is None:
            try:
                found = self._load_event(key)
            except Failure as failure:
                found = failure
            self._events[key] = found
        if isinstance(found, Failure):
            raise found
        return found

    def _load_event(self, key):
        kind, _sep, pk = key.rpartition("-")
        if kind == "incident-update":
            rows = IncidentUpdate.objects.select_related("incident").prefetch_related(
                "incident__updates", "incident__regions"
            )
        elif kind == "window-event":
            rows = AuditEvent.objects.select_related("window__region").prefetch_related(
                Prefetch("window__audit_events", queryset=AuditEvent.objects.order_by("id"))
            )
        else:
            raise Failure(f"unknown event {key}", permanent=True)
        event = rows.filter(pk=pk).first() if pk.isdigit() else None
        if event is None:
            raise Failure(f"the event {key} no longer exists", permanent=True)
        if kind == "window-event":
            for sibling in event.window.audit_events.all():
                sibling.window = event.window
        return event

    def body(self, key, unsubscribe_url):
        """The payload of ``key`` as the bytes posted, with this subscription's unsubscribe link: serialised once
        per event, the link put between the bytes before and after it."""
        self.payload(key)  # raises the event's Failure, if it has one
        before, after = self._bodies[key]
        return b"".join((before, json.dumps(unsubscribe_url).encode("ascii"), after))

    def text(self, row):
        """(title, body) of a chat message about the row's event, read off its webhook payload."""
        if row.kind == EndpointDelivery.Kind.TEST:
            title = translation.gettext("Test message from %(site)s") % {"site": settings.SITE_NAME}
            return title, translation.gettext("This channel receives %(site)s's maintenance and incident news.") % {
                "site": settings.SITE_NAME
            }
        incident = self.payload(row.event)["incident"]
        latest = incident["incident_updates"][0]
        if incident["impact"] == "maintenance":
            title = latest["body"]
            body = f"{incident['name']}\n{incident['scheduled_for']} – {incident['scheduled_until']} (UTC)"
        else:
            title = f"{incident['name']} [{incident['impact']}]: {latest['status']}"
            body = latest["body"]
        return title, f"{body}\n{incident['shortlink']}"


# --- Recording ---------------------------------------------------------------------------------------------------


def record(outcome, now=None):
    """Write what happened to each row and endpoint; only rows this worker still holds in ``sending`` change."""
    now = now or timezone.now()
    mine = EndpointDelivery.objects.filter(status=EndpointDelivery.Status.SENDING)
    status = EndpointDelivery.Status
    with transaction.atomic():
        by_answer = {}
        for pk, answer in outcome.sent:
            by_answer.setdefault(answer, []).append(pk)
        for answer, ids in by_answer.items():
            mine.filter(plainsql.any_of(EndpointDelivery, "id", ids)).update(
                status=status.SENT, sent_at=now, lease_until=None, last_error="", response_status=answer
            )
        for pk, reason, answer in outcome.failed:
            mine.filter(id=pk).update(status=status.FAILED, lease_until=None, last_error=reason, response_status=answer)
        by_reason = {}
        for pk, reason in outcome.skipped:
            by_reason.setdefault(reason[:500], []).append(pk)
        for reason, ids in by_reason.items():
            skipped = mine.filter(plainsql.any_of(EndpointDelivery, "id", ids))
            skipped.update(status=status.SKIPPED, lease_until=None, last_error=reason)
        for pk, reason, attempts, answer in outcome.retry:
            mine.filter(id=pk).update(
                status=status.PENDING,
                lease_until=None,
                last_error=reason,
                response_status=answer,
                next_attempt_at=now + timedelta(seconds=retry_delay(attempts)),
                queued_at=None,
            )
        # Put back untried: their claim counted no attempt.
        mine.filter(plainsql.any_of(EndpointDelivery, "id", outcome.released)).update(
            status=status.PENDING, lease_until=None, attempts=F("attempts") - 1, queued_at=None
        )
        subscriptions = WebhookSubscription.objects
        # Only those that were failing are written: a fan-out's healthy endpoints stay as they are.
        recovered = subscriptions.filter(Q(failing_since__isnull=False) | ~Q(last_error=""))
        healthy = outcome.healthy - set(outcome.failing)
        recovered.filter(plainsql.any_of(WebhookSubscription, "id", healthy)).update(failing_since=None, last_error="")
        for pk, reason in outcome.failing.items():
            subscriptions.filter(id=pk, failing_since__isnull=True).update(
                failing_since=now, failure_streak=F("failure_streak") + 1
            )
            subscriptions.filter(id=pk).update(last_error=reason)
        for pk, reason in outcome.disable.items():
            disabled = subscriptions.filter(id=pk, state=WebhookSubscription.State.ACTIVE).update(
                state=WebhookSubscription.State.DISABLED, disabled_at=now, state_reason=reason[:300]
            )
            if disabled:
                EndpointDelivery.objects.filter(
                    subscription_id=pk, kind__in=STREAM_KINDS, status=status.PENDING
                ).update(status=status.SKIPPED, last_error="the subscription was disabled")
                queueing.schedule_due_on_commit()  # the owner's "disabled" email
