"""A subscribe request costs the same work for every address, so its timing tells nothing about the address.

Checked by what runs, not by a stopwatch: the same SQL statements, in the same order, and the same one task
published, for a new address, a pending, unsubscribed, confirmed or suppressed one, and a suppressed address whose
owner has deleted their data.
"""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import queueing, subscriptions
from notifications.models import Delivery, Subscriber, Suppression

STATES = ["new", "pending", "unsubscribed", "confirmed", "suppressed", "suppressed and deleted"]


def shape(sql):
    """A statement without its values: what the database is asked to do, not with which numbers or strings."""
    sql = re.sub(r"'(?:[^']|'')*'", "?", sql)
    sql = re.sub(r"\b\d+(\.\d+)?\b", "?", sql)
    sql = re.sub(r"\(\?(, \?)*\)", "(?)", sql)
    sql = re.sub(r"(ROLLBACK TO|RELEASE) SAVEPOINT", "END SAVEPOINT", sql)
    return re.sub(r'"s\w+_x\d+"|\bs\w+_x\?', "SP", sql)


@pytest.fixture
def published(monkeypatch):
    calls = []
    monkeypatch.setattr(queueing, "publish", lambda name, args=(), **options: calls.append(name))
    return calls


def prepare(state, make_subscriber):
    if state == "new":
        return
    if state == "suppressed and deleted":
        subscriptions.forget(subscriptions_suppressed(make_subscriber))
        return
    if state == "suppressed":
        subscriptions_suppressed(make_subscriber)
        return
    make_subscriber("ada@example.com", state=state)


def subscriptions_suppressed(make_subscriber):
    ada = make_subscriber("ada@example.com")
    subscriptions.suppress(ada, "postmark: complained")
    return ada


def run(regions, django_capture_on_commit_callbacks):
    with CaptureQueriesContext(connection) as queries, django_capture_on_commit_callbacks(execute=True):
        kind = subscriptions.subscribe("ADA@example.com", [regions["us"]], "de", now=timezone.now())
    return kind, [shape(query["sql"]) for query in queries.captured_queries]


@pytest.mark.parametrize("state", STATES)
def test_subscribe_runs_the_same_statements_and_publishes_the_same_task_for_every_address(
    state, make_subscriber, regions, django_capture_on_commit_callbacks, published
):
    # The reference: a new address.
    kind, reference = run(regions, django_capture_on_commit_callbacks)
    assert kind == "confirm"
    Subscriber.objects.all().delete()
    Delivery.objects.all().delete()
    Suppression.objects.all().delete()
    published.clear()

    prepare(state, make_subscriber)
    before = list(Subscriber.objects.values("email", "state", "language", "confirm_requests"))
    kind, statements = run(regions, django_capture_on_commit_callbacks)
    assert statements == reference
    assert published == [queueing.SEND_CHUNK]
    expected = {"confirmed": "already_subscribed", "suppressed": None, "suppressed and deleted": None}
    assert kind == expected.get(state, "confirm")
    if state.startswith("suppressed"):
        # Rolled back: nothing about the request stays, and a deleted address is not stored again.
        assert list(Subscriber.objects.values("email", "state", "language", "confirm_requests")) == before
        assert not Delivery.objects.filter(status="pending").exists()
