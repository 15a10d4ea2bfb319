"""The database is restarted in the middle of a fan-out: every subscriber still gets the announcement."""

import os
import subprocess
import sys
import time

import psycopg
import pytest

from notifications.models import Delivery
from notifications.tasks import schedule_due
from tests.faults.conftest import run_app, worker_env
from tests.integration.conftest import ROOT, Worker, wait_until

pytestmark = [pytest.mark.integration, pytest.mark.slow]
N = 2000

SEED = f"""
from django.utils import timezone
from maintenance import planning
from maintenance.models import Region, Window
from notifications.models import Subscriber
region = Region.objects.get(slug="eu-frankfurt")
now = timezone.now()
Subscriber.objects.bulk_create(
    Subscriber(email=f"user{{n}}@example.com", state="confirmed", created_at=now, confirmed_at=now) for n in range({N})
)
Through = Subscriber.regions.through
ids = Subscriber.objects.values_list("id", flat=True)
Through.objects.bulk_create(Through(subscriber_id=pk, region_id=region.pk) for pk in ids)
planning.plan(now, 2)
print("WINDOW", Window.objects.filter(region=region, starts_at__gt=now).earliest("starts_at").pk)
"""


def query(url, sql):
    """One value from the private database, or None while it is not answering."""
    try:
        with psycopg.connect(url, connect_timeout=2) as connection:
            return connection.execute(sql).fetchone()[0]
    except psycopg.OperationalError:
        return None


def test_a_database_restart_during_a_fan_out_loses_no_announcement(private_postgres, tmp_path, mail_record, queue):
    url = private_postgres.url
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": url}
    migrate = subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert migrate.returncode == 0, migrate.stderr
    app_env = {"DATABASE_URL": url, "NOTIFY_QUEUE": queue}
    window_id = int(run_app(SEED, app_env).stdout.split("WINDOW ")[1])
    table = Delivery._meta.db_table
    announcements = f"FROM {table} WHERE window_id = {window_id} AND kind = 'announcement'"

    worker = Worker(queue, tmp_path / "worker.log").start(
        concurrency=2,
        env=worker_env(
            queue,
            mail_record.path,
            DATABASE_URL=url,
            EMAIL_RECORD_DELAY="0.004",
            DELIVERY_LEASE_SECONDS="300",  # as in production: recovery must not wait for leases to run out
        ),
    )
    try:
        wait_until(worker.ready, timeout=30, worker=worker)
        run_app(
            "from maintenance import lifecycle\nfrom maintenance.models import Window\n"
            f"lifecycle.announce(Window.objects.get(pk={window_id}), 'release-bot')",
            app_env,
        )
        wait_until(lambda: sum(mail_record().values()) >= N // 4, timeout=60, worker=worker, interval=0.05)

        private_postgres.restart()  # fast shutdown: every connection of the app and the worker is cut
        restarted_at = time.monotonic()
        sent_at_restart = sum(mail_record().values())
        in_flight = query(url, f"SELECT count(*) {announcements} AND status = 'sending'")
        assert sent_at_restart < N, "the fan-out finished before the restart"
        assert in_flight is not None, "the database did not come back"

        def beat_tick():
            # What celery beat does every minute: queue schedule_due, which finds expired leases and waiting rows.
            schedule_due.apply_async(queue=queue)
            return query(url, f"SELECT count(*) {announcements} AND status = 'sent'") == N

        wait_until(beat_tick, timeout=90, worker=worker, interval=1.0)
        recovered = time.monotonic() - restarted_at
    finally:
        worker.stop()

    sent = mail_record()
    assert set(sent) == {f"user{n}@example.com" for n in range(N)}, "a subscriber got nothing"
    duplicates = sum(sent.values()) - N
    assert duplicates <= in_flight, f"{duplicates} repeated, but only {in_flight} were in flight"
    assert query(url, f"SELECT count(*) FROM {table}") == N
    print(
        f"\ndatabase restart: {sent_at_restart} of {N} handed over at the restart, {in_flight} in flight; "
        f"{len(sent)} subscribers got it, {duplicates} duplicates; all sent {recovered:.1f}s after the restart"
    )
