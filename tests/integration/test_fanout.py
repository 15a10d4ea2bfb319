"""Fan-out through a live Celery worker over Redis on PostgreSQL: exactly one each, also across a crash."""

import time
import uuid
from collections import Counter
from pathlib import Path

import pytest
from django.utils import timezone

from maintenance import lifecycle, planning
from maintenance.models import Region, Window
from notifications.models import Delivery, Subscriber
from notifications.tasks import schedule_due, send_chunk
from tests.integration.conftest import Worker, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
N = 300
CHUNK = 20  # rows recorded together; a send task claims DELIVERY_CHUNKS_PER_TASK (4) of them


@pytest.fixture
def fanout(transactional_db, tmp_path, monkeypatch, settings):
    """A worker whose tasks, and the tasks they queue, stay on a private queue and whose mail goes to a file."""
    queue = f"offpeak-fanout-{uuid.uuid4().hex[:12]}"
    record = tmp_path / "sent.log"
    record.touch()
    monkeypatch.setenv("EMAIL_BACKEND", "notifications.backends.RecordingBackend")
    monkeypatch.setenv("EMAIL_RECORD_FILE", str(record))
    monkeypatch.setenv("NOTIFY_QUEUE", queue)
    monkeypatch.setenv("DELIVERY_LEASE_SECONDS", "3")
    monkeypatch.setenv("DELIVERY_CHUNK_SIZE", str(CHUNK))
    settings.NOTIFY_QUEUE = queue
    settings.DELIVERY_CHUNK_SIZE = CHUNK
    settings.DELIVERY_LEASE_SECONDS = 3
    workers = []

    class Fanout:
        def __init__(self):
            self.queue, self.record = queue, record

        def start_worker(self, concurrency=2, delay=0.0):
            monkeypatch.setenv("EMAIL_RECORD_DELAY", str(delay))
            worker = Worker(queue, tmp_path / f"worker{len(workers)}.log").start(concurrency=concurrency)
            workers.append(worker)
            return worker

        def sent(self):
            return Counter(line.split(" ", 1)[1] for line in Path(record).read_text().splitlines() if line)

        def window(self):
            planning.plan(timezone.now(), 2)
            return Window.objects.filter(region__slug="eu-frankfurt", starts_at__gt=timezone.now()).earliest(
                "starts_at"
            )

    yield Fanout()
    for worker in workers:
        worker.stop()


def subscribe_many(count, region_slug="eu-frankfurt"):
    region = Region.objects.get(slug=region_slug)
    now = timezone.now()
    Subscriber.objects.bulk_create(
        Subscriber(email=f"user{n}@example.com", state="confirmed", created_at=now, confirmed_at=now)
        for n in range(count)
    )
    Through = Subscriber.regions.through
    Through.objects.bulk_create(
        Through(subscriber_id=pk, region_id=region.pk) for pk in Subscriber.objects.values_list("id", flat=True)
    )


def all_sent():
    return Delivery.objects.filter(kind="announcement").exclude(status="sent").count() == 0 and (
        Delivery.objects.filter(kind="announcement").count() == N
    )


def test_fan_out_through_a_live_worker_gives_every_subscriber_exactly_one_announcement(fanout):
    subscribe_many(N)
    worker = fanout.start_worker()
    lifecycle.announce(fanout.window())  # its signal queues schedule_due on the worker's queue after commit
    wait_until(all_sent, timeout=90, worker=worker)
    sent = fanout.sent()
    assert len(sent) == N and set(sent.values()) == {1}
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_a_worker_killed_mid_fan_out_loses_nothing_and_repeats_at_most_the_rows_in_flight(fanout):
    subscribe_many(N)
    first = fanout.start_worker(concurrency=2, delay=0.05)  # a chunk of 20 takes a second to send, a task four

    def mid_chunk():
        # A quarter sent and a chunk being sent: the kill then lands with rows in flight, however busy the machine.
        in_flight = Delivery.objects.filter(status="sending").exists()
        return in_flight and sum(fanout.sent().values()) >= N // 4

    lifecycle.announce(fanout.window())
    wait_until(mid_chunk, timeout=90, worker=first, interval=0.05)
    first.kill()
    in_flight = Delivery.objects.filter(status="sending").count()
    sent_before = sum(fanout.sent().values())
    assert sent_before < N, "the worker finished before it could be killed"
    assert in_flight > 0, "the kill must catch rows in flight for this test to mean anything"

    second = fanout.start_worker(concurrency=2)

    def beat_until_done():
        # What celery beat does every minute: find what is due (expired leases included) and queue it.
        schedule_due.apply_async(queue=fanout.queue)
        return all_sent()

    wait_until(beat_until_done, timeout=120, worker=second, interval=1.0)
    sent = fanout.sent()
    assert set(sent) == {f"user{n}@example.com" for n in range(N)}, "a subscriber got nothing"
    duplicates = sum(sent.values()) - N
    assert duplicates <= in_flight
    assert duplicates <= 2 * CHUNK, "each of the two processes may repeat at most the chunk it had in hand"
    print(
        f"\nworker killed: {sent_before} of {N} handed over at the kill, {in_flight} rows sending; "
        f"{len(sent)} subscribers got it, {duplicates} duplicates"
    )
    assert Delivery.objects.count() == N


def test_beat_run_twice_and_a_task_delivered_twice_send_nothing_twice(fanout):
    subscribe_many(N)
    worker = fanout.start_worker(concurrency=2)
    window = fanout.window()
    lifecycle.announce(window)
    schedule_due.apply_async(queue=fanout.queue)
    schedule_due.apply_async(queue=fanout.queue)
    wait_until(lambda: Delivery.objects.count() == N, timeout=60, worker=worker)
    ids = sorted(Delivery.objects.values_list("id", flat=True))
    for _ in range(2):  # the same message redelivered by the broker
        for start in range(0, N, 50):
            send_chunk.apply_async(args=[ids[start : start + 50]], queue=fanout.queue)
    wait_until(all_sent, timeout=90, worker=worker)
    schedule_due.apply_async(queue=fanout.queue)
    deadline = time.monotonic() + 3
    wait_until(lambda: time.monotonic() > deadline, timeout=10)  # give stray tasks the chance to misbehave
    sent = fanout.sent()
    assert len(sent) == N and set(sent.values()) == {1}
    assert Delivery.objects.count() == N
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
