"""What is due for endpoints: the EndpointDelivery rows that should exist by now.

Level-triggered, as ``notifications.schedule``: ``create_due(now)`` reads the news of the last day (window audit
events and incident updates) and the endpoints' state, and creates the missing rows in bulk under the unique
constraint, so a second run, or a run after a lost signal, creates exactly what is missing. An endpoint hears of
the events that happened after it was confirmed (a webhook) or added (a channel).
"""

from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from endpoints import events
from endpoints.models import Channel, EndpointDelivery, Topic, WebhookSubscription

# How far back the scheduler looks: news older than this is no longer worth telling.
LOOKBACK = timedelta(days=1)
ADVISORY_LOCK = 0x0FF_E4D5  # serialises create_due() runs on PostgreSQL
INSERT_BATCH = 2000


def create_due(now=None, queued=None):
    """Create every row that should exist by ``now`` and does not yet; returns {kind: rows offered}.

    With ``queued`` (a list), on PostgreSQL the event rows are made already marked as queued at ``now`` and their
    ids are added to it in the order they go out (``outbox.DISPATCH_ORDER``), for the caller to queue once this has
    committed: read from the INSERT itself, they need no dispatch query. Elsewhere the dispatch query finds them.
    """
    now = now or timezone.now()
    made = None if queued is None else []  # (id, subscription id, channel id, event time) of each row made
    offered = dict.fromkeys(EndpointDelivery.Kind.values, 0)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ADVISORY_LOCK])
        since = now - LOOKBACK
        for event in events.window_news(since, now):
            offered["event"] += _fan_out(event, Topic.MAINTENANCE, [event.window.region_id], now, made)
        for update in events.notifiable_updates(since, now):
            region_ids = [region.pk for region in update.incident.regions.all()]
            offered["event"] += _fan_out(update, Topic.INCIDENTS, region_ids, now, made)
        offered["failing"] += _owner_notices(now)
        offered["disabled"] += _disabled_notices(now, since)
    if made:
        # As dispatch orders them: each endpoint's rows together (in one chunk), oldest first.
        made.sort(key=lambda row: (row[1] is None, row[1] or 0, row[2] is None, row[2] or 0, row[3], row[0]))
        queued += [row[0] for row in made]
    return offered


def _fan_out(event, topic, region_ids, now, made=None):
    """One row per endpoint that follows ``topic`` in one of ``region_ids`` and was there when it happened; with
    ``made`` (a list), on PostgreSQL, marked as queued at ``now`` and added to it as (id, subscription id, channel id,
    event time)."""
    at = event.created_at
    subscriptions = WebhookSubscription.objects.filter(
        state=WebhookSubscription.State.ACTIVE, regions__in=region_ids, confirmed_at__lte=at, **{topic: True}
    )
    channels = Channel.objects.filter(active=True, regions__in=region_ids, created_at__lte=at, **{topic: True})
    key = events.event_key(event)
    # (endpoints, what is told, which column names the endpoint); webhooks also get Statuspage's component update
    # for each region whose status the event changed, after it.
    targets = [(subscriptions, key, "subscription_id"), (channels, key, "channel_id")]
    targets += [
        (subscriptions.filter(regions=region_id), events.component_key(event, region_id), "subscription_id")
        for region_id, _old, _new in events.component_changes(event)
    ]
    common = dict(topic=topic, event_at=at, created_at=now, kind=EndpointDelivery.Kind.EVENT)
    if connection.vendor == "postgresql":
        offered, rows = _insert_select(targets, common, queued_at=None if made is None else now)
        if made is not None:
            made += [(pk, subscription_id, channel_id, at) for pk, subscription_id, channel_id in rows]
        return offered
    deliveries = [
        EndpointDelivery(event=told, **{column: pk}, **common)
        for endpoints, told, column in targets
        for pk in sorted(set(endpoints.values_list("id", flat=True)))
    ]
    EndpointDelivery.objects.bulk_create(deliveries, batch_size=INSERT_BATCH, ignore_conflicts=True)
    return len(deliveries)


def _insert_select(targets, common, queued_at=None):
    """PostgreSQL: the rows of ``targets`` made by the server in one ``INSERT ... SELECT`` (no row travels to this
    process), skipping those that exist; returns how many were offered, as ``bulk_create``'s path does, and the
    (id, subscription id, channel id) of the rows made."""
    table = connection.ops.quote_name(EndpointDelivery._meta.db_table)
    id_type = EndpointDelivery._meta.get_field("subscription").target_field.rel_db_type(connection)
    selects, params = [], []
    for position, (endpoints, told, column) in enumerate(targets):
        sql, sub_params = endpoints.order_by().values("id").distinct().query.sql_with_params()
        pair = f"t.id, NULL::{id_type}" if column == "subscription_id" else f"NULL::{id_type}, t.id"
        selects.append(f"SELECT {position}, {pair}, %s::text FROM ({sql}) AS t")
        params += [told, *sub_params]
    # The ids follow the targets' order, as bulk_create's do: an event's row before its component updates', which
    # share its time and go out after it. A data-modifying WITH runs whether or not the outer query reads it;
    # ON CONFLICT DO NOTHING covers both unique constraints, as bulk_create(ignore_conflicts=True) does.
    query = f"""
        WITH offered (position, subscription_id, channel_id, event) AS ({" UNION ALL ".join(selects)}),
        inserted AS (
            INSERT INTO {table} (subscription_id, channel_id, event, kind, topic, event_at, created_at, message_id,
                                 status, attempts, last_error, queued_at)
            SELECT subscription_id, channel_id, event, %s, %s, %s, %s, gen_random_uuid(),
                   %s, 0, '', %s
            FROM offered ORDER BY position, subscription_id, channel_id
            ON CONFLICT DO NOTHING
            RETURNING id, subscription_id, channel_id
        )
        SELECT (SELECT count(*) FROM offered), inserted.* FROM (SELECT 1) AS one LEFT JOIN inserted ON true
    """
    params += [common["kind"], common["topic"], common["event_at"], common["created_at"]]
    params += [EndpointDelivery.Status.PENDING, queued_at]
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        found = cursor.fetchall()
    return found[0][0], [row[1:] for row in found if row[1] is not None]


def _owner_notices(now):
    """A "keeps failing" email to the owner of each active endpoint failing for WEBHOOK_FAILING_NOTICE_MINUTES,
    once per run of failures."""
    after = now - timedelta(minutes=settings.WEBHOOK_FAILING_NOTICE_MINUTES)
    failing = WebhookSubscription.objects.filter(state=WebhookSubscription.State.ACTIVE, failing_since__lte=after)
    return _notify_owners(failing, EndpointDelivery.Kind.FAILING, now)


def _disabled_notices(now, since):
    """A "disabled" email to the owner of each endpoint disabled in the last day, once per disabling."""
    disabled = WebhookSubscription.objects.filter(
        Q(state=WebhookSubscription.State.DISABLED) & Q(disabled_at__gte=since)
    )
    return _notify_owners(disabled, EndpointDelivery.Kind.DISABLED, now)


def _notify_owners(subscriptions, kind, now):
    rows = [
        EndpointDelivery(subscription_id=pk, kind=kind, event=f"{kind}-{streak}", event_at=now, created_at=now)
        for pk, streak in subscriptions.values_list("id", "failure_streak")
    ]
    EndpointDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)
