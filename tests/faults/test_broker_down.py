"""The broker is down when a window is announced: the announce holds, and the beat sends it once the broker is back."""

import time

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from maintenance import planning
from maintenance.models import AuditEvent, Region, Window
from notifications.models import Delivery, Subscriber
from notifications.tasks import schedule_due
from statuspage.celery import app as celery_app
from statuspage.models import ApiToken
from tests.faults.conftest import run_app, worker_env
from tests.integration.conftest import Worker, database_url, wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]
CONFIRMED = 200


def subscribers(confirmed, pending):
    region = Region.objects.get(slug="eu-frankfurt")
    now = timezone.now()
    states = ["confirmed"] * confirmed + ["pending"] * pending
    Subscriber.objects.bulk_create(
        Subscriber(email=f"user{n}@example.com", state=state, created_at=now, confirmed_at=now)
        for n, state in enumerate(states)
    )
    Through = Subscriber.regions.through
    Through.objects.bulk_create(
        Through(subscriber_id=pk, region_id=region.pk) for pk in Subscriber.objects.values_list("id", flat=True)
    )
    return {f"user{n}@example.com" for n in range(confirmed)}


def test_announce_with_the_broker_down_succeeds_and_the_beat_sends_it_once_the_broker_is_back(
    tmp_path, private_redis, mail_record, queue
):
    expected = subscribers(CONFIRMED, pending=5)
    planning.plan(timezone.now(), 2)
    window = Window.objects.filter(region__slug="eu-frankfurt", starts_at__gt=timezone.now()).earliest("starts_at")
    key = ApiToken.objects.create(user=User.objects.create_superuser("release-bot", password="x"))[1]
    app_env = {"DATABASE_URL": database_url(), "CELERY_BROKER_URL": private_redis.url, "NOTIFY_QUEUE": queue}
    worker = Worker(queue, tmp_path / "worker.log").start(
        concurrency=2, env=worker_env(queue, mail_record.path, CELERY_BROKER_URL=private_redis.url)
    )
    try:
        wait_until(worker.ready, timeout=30, worker=worker)

        private_redis.stop()
        answer = run_app(
            "import time\n"
            "from rest_framework.test import APIClient\n"
            "client = APIClient()\n"
            "started = time.monotonic()\n"
            f"client.credentials(HTTP_AUTHORIZATION='Token {key}')\n"
            f"response = client.post('/api/v1/windows/{window.pk}/announce/', {{'reason': 'Release 2026.12'}},"
            " format='json')\n"
            "print('HTTP', response.status_code, response.json()['status'])\n"
            "print(f'request took {time.monotonic() - started:.2f}s')\n",
            app_env,
        )
        announce_seconds = float(answer.stdout.split("request took ")[1].split("s")[0])
        assert "HTTP 200 scheduled" in answer.stdout, answer.stdout + answer.stderr
        assert "Error calling notifications.tasks.schedule_due.apply_async in on_commit()" in answer.stderr
        assert announce_seconds < 2, "a request must not hang on a broker that is down"
        window.refresh_from_db()
        assert window.status == Window.Status.SCHEDULED and window.announced_at is not None
        assert list(AuditEvent.objects.filter(window=window).values_list("action", "reason")) == [
            ("announce", "Release 2026.12")
        ]
        assert Delivery.objects.count() == 0, "nothing can have been scheduled without the broker"

        private_redis.start()  # the same port: the worker reconnects by itself
        back_at = time.monotonic()
        assert Delivery.objects.count() == 0, "the failed nudge is lost; only the beat can catch up"

        def beat_tick():
            # What celery beat does every minute: publish schedule_due through the broker.
            with celery_app.connection_for_write(private_redis.url) as connection:
                schedule_due.apply_async(queue=queue, connection=connection, retry=False)
            rows = Delivery.objects.filter(window=window, kind="announcement")
            return rows.count() == CONFIRMED and not rows.exclude(status="sent").exists()

        wait_until(beat_tick, timeout=60, worker=worker, interval=1.0)
        recovered_seconds = time.monotonic() - back_at
    finally:
        worker.stop()

    sent = mail_record()
    assert set(sent) == expected, "every confirmed subscriber, and nobody else"
    assert set(sent.values()) == {1}, "exactly one announcement each"
    assert set(Delivery.objects.values_list("kind", "status", "attempts")) == {("announcement", "sent", 1)}
    print(
        f"\nbroker down: announce answered in {announce_seconds:.1f}s; {len(sent)} sent, "
        f"{sum(sent.values()) - len(sent)} duplicates, all sent {recovered_seconds:.1f}s after the broker came back"
    )
