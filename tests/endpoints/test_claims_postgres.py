"""Two workers claiming the same rows at once on PostgreSQL (SELECT ... FOR UPDATE SKIP LOCKED): each row once."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from endpoints import outbox
from endpoints.models import EndpointDelivery


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_two_workers_claiming_the_same_rows_take_each_row_once(make_channel):
    if connection.vendor != "postgresql":
        pytest.skip("SKIP LOCKED claims need PostgreSQL: set DATABASE_URL=postgres://...")
    now = timezone.now()
    channels = [make_channel(f"json://127.0.0.1:9/c{number}", name=f"c{number}") for number in range(60)]
    rows = EndpointDelivery.objects.bulk_create(
        EndpointDelivery(channel=channel, event="incident-update-1", event_at=now, created_at=now)
        for channel in channels
    )
    ids = [row.pk for row in rows]
    taken, start = [], threading.Barrier(2)

    def worker():
        try:
            start.wait()
            for _round in range(3):
                taken.extend(row.pk for row in outbox.claim(ids))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(ids)
    assert set(EndpointDelivery.objects.values_list("attempts", flat=True)) == {1}
