"""Claims of email deliveries on PostgreSQL: one statement locks (SKIP LOCKED) and leases; two workers never take the
same row, and a row another transaction holds is passed over rather than waited for."""

import threading

import pytest
from django.db import connection, connections, transaction

from maintenance import lifecycle
from notifications import outbox, schedule
from notifications.models import Delivery
from tests.conftest import NOW


@pytest.fixture
def pending_rows(window, make_subscriber):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED claims need PostgreSQL: set DATABASE_URL=postgres://...")
    for number in range(60):
        make_subscriber(f"user{number}@example.com")
    lifecycle.announce(window, now=NOW)
    schedule.create_due(NOW)
    return list(Delivery.objects.order_by("id").values_list("id", flat=True))


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_the_same_rows_take_each_row_once(pending_rows):
    taken, start = [], threading.Barrier(2)

    def worker():
        try:
            start.wait()
            for _round in range(3):
                taken.extend(delivery.pk for delivery in outbox.claim(pending_rows, now=NOW))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == pending_rows
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Delivery.Status.SENDING, 1)}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_row_locked_by_another_transaction_is_passed_over_and_taken_once_free(pending_rows):
    held, release, claimed = threading.Event(), threading.Event(), []

    def other_transaction():
        try:
            with transaction.atomic():
                Delivery.objects.select_for_update().get(pk=pending_rows[0])
                held.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    thread = threading.Thread(target=other_transaction)
    thread.start()
    try:
        assert held.wait(timeout=30)
        claimed = [delivery.pk for delivery in outbox.claim(pending_rows, now=NOW)]
    finally:
        release.set()
        thread.join()
    assert claimed == pending_rows[1:]
    assert [delivery.pk for delivery in outbox.claim(pending_rows, now=NOW)] == pending_rows[:1]
