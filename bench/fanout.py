#!/usr/bin/env python3
"""Measure the announcement fan-out: N confirmed subscribers in one region, one window announced, time until every
delivery has been handed to the mail backend.

    .venv/bin/python bench/fanout.py                 # 100,000 subscribers, in this process, on SQLite in a temp dir
    .venv/bin/python bench/fanout.py --n 5000        # a quick run
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offpeak_bench .venv/bin/python bench/fanout.py
    DATABASE_URL=... CELERY_BROKER_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/fanout.py --workers 2

The mail backend (notifications.backends.CountingBackend) sends nothing, but builds each message's MIME bytes as
Django's SMTP backend does; --count-only skips that and only counts the messages handed to it. The bench works in a
region of its own ("bench") and removes what it created unless --keep is given. It prints recipients per second, the
CPU time of this process and of its PostgreSQL backend (when the server runs on this machine) during the fan-out,
figures less disturbed by other work on a shared machine than the wall time, and the peak RSS (resource.getrusage)
of this process and of its worker children.

Then, unless --email-only, the same for the other channels: one incident opened to --webhooks webhook subscriptions
and --channels apprise channels on a local receiver, with the same number of workers, through
bench/endpoint_fanout.py (a process and a database of its own), with the webhook and apprise rates it prints.
"""

import argparse
import os
import resource
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.processes import cpu_seconds as server_cpu  # noqa: E402
from bench.processes import start_workers  # noqa: E402


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="subscribers (default 100000)")
    parser.add_argument("--workers", type=int, default=0, help="send through this many celery worker processes")
    parser.add_argument(
        "--chunk",
        type=int,
        default=None,
        help="rows recorded together (DELIVERY_CHUNK_SIZE); a send task carries DELIVERY_CHUNKS_PER_TASK of them",
    )
    parser.add_argument(
        "--count-only", action="store_true", help="only count the messages, without building their MIME bytes"
    )
    parser.add_argument("--serialize", action="store_true", help="build each message's MIME bytes (the default)")
    parser.add_argument("--keep", action="store_true", help="keep the bench region, window and subscribers")
    parser.add_argument(
        "--webhooks", type=int, default=1000, help="then one incident to this many webhook subscriptions (default 1000)"
    )
    parser.add_argument("--channels", type=int, default=50, help="and this many apprise channels (default 50)")
    parser.add_argument("--email-only", action="store_true", help="measure the email fan-out only")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the email fan-out to FILE (pstats)")
    args = parser.parse_args()
    if args.count_only and args.serialize:
        parser.exit(2, "--count-only and --serialize contradict each other.\n")
    if args.n < 1 or args.workers < 0 or args.webhooks < 1 or args.channels < 0:
        parser.exit(2, "--n and --webhooks must be at least 1, --workers and --channels at least 0.\n")
    return args


def setup(args):
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    os.environ["EMAIL_BACKEND"] = "notifications.backends.CountingBackend"
    os.environ["EMAIL_COUNT_SERIALIZE"] = "0" if args.count_only else "1"
    if args.chunk:
        os.environ["DELIVERY_CHUNK_SIZE"] = str(args.chunk)
    if not os.environ.get("DATABASE_URL"):
        if args.workers:
            sys.exit("--workers needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL (Redis).")
        os.environ["OFFPEAK_VAR_DIR"] = tempfile.mkdtemp(prefix="offpeak-bench-")
    if args.workers:
        os.environ["NOTIFY_QUEUE"] = f"offpeak-bench-{uuid.uuid4().hex[:8]}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "statuspage.settings"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def peak_mb(who):
    return resource.getrusage(who).ru_maxrss / 1024


def main():
    args = parse()
    setup(args)
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from maintenance import lifecycle
    from notifications.backends import CountingBackend
    from notifications.models import Delivery
    from statuspage.celery import app, settle

    cleanup()
    region = bench_region()
    now = timezone.now()
    started = time.perf_counter()
    create_subscribers(region, args.n, now)
    print(f"created {args.n} confirmed subscribers in {time.perf_counter() - started:.1f}s on {connection.vendor}")
    window = bench_window(region, now)
    if connection.vendor == "postgresql":  # statistics for the planner, as autovacuum would have taken by now
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    workers = []
    if args.workers:
        workers = start_workers(args.workers, settings.NOTIFY_QUEUE)
    else:
        app.conf.task_always_eager = True  # the signal's schedule_due and its send chunks run here, one after another
        settle()  # as a worker process does once it has loaded the app
    rss_before = peak_mb(resource.RUSAGE_SELF)
    print(
        "mail backend: counting only, no MIME built"
        if args.count_only
        else "mail backend: each message's MIME bytes built (as Django's SMTP backend does), then counted"
    )

    backend_pid = None
    if connection.vendor == "postgresql" and not workers:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            backend_pid = cursor.fetchone()[0]
    db0 = server_cpu(backend_pid) if backend_pid else None
    cpu0 = time.process_time()
    profiler = None
    if args.profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    t0 = time.perf_counter()
    lifecycle.announce(window)  # after commit: window_changed -> schedule_due -> create_due + send chunks
    if workers:
        while Delivery.objects.filter(window=window, status="sent").count() < args.n:
            if any(w.poll() is not None for w in workers):
                sys.exit("a worker died; see its output above")
            time.sleep(0.25)
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    if profiler:
        profiler.disable()
        profiler.dump_stats(args.profile)
    db_cpu = server_cpu(backend_pid) - db0 if db0 is not None else None

    sent = Delivery.objects.filter(window=window, status="sent").count()
    total = Delivery.objects.filter(window=window).count()
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)
    handed = CountingBackend.count if not workers else sent
    print(f"recipients: {args.n}  delivery rows: {total}  sent: {sent}  handed to the backend: {handed}")
    if CountingBackend.bytes:
        per_message = CountingBackend.bytes // max(handed, 1)
        print(f"MIME bytes built: {CountingBackend.bytes / 1e6:.1f} MB ({per_message} per message)")
    print(f"fan-out time: {elapsed:.2f}s  ->  {args.n / elapsed:,.0f} recipients/s")
    if not workers:
        print(f"CPU time of this process: {cpu:.2f}s ({cpu / args.n * 1e6:.0f} µs per recipient)", end="")
        if db_cpu is not None:
            print(f", of its PostgreSQL backend: {db_cpu:.2f}s ({db_cpu / args.n * 1e6:.0f} µs per recipient)", end="")
        print()
    print(
        f"peak RSS: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB (before the fan-out {rss_before:.0f} MB)",
        end="",
    )
    print(f", largest worker child {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB" if workers else "")
    ok = sent == args.n == total and (workers or handed == args.n)
    if not args.keep:
        cleanup()
    if not args.email_only:
        ok = report_endpoints(args) and ok
    return 0 if ok else 1


def report_endpoints(args):
    """The same fan-out to webhook subscriptions and apprise channels (bench/endpoint_fanout.py, a process of its own
    with a database of its own and a local receiver), on the same number of workers; True if every one arrived."""
    from bench.endpoint_fanout import measure, report

    print(f"\nthen one incident to {args.webhooks} webhook subscriptions and {args.channels} apprise channels:")
    figures = measure(args.webhooks, args.channels, args.workers, chunk=args.chunk)
    report(figures)
    return bool(figures["ok"])


def bench_region():
    """The bench's own region, inactive so that the public pages do not show it."""
    from datetime import time as wall

    from maintenance.models import Region

    return Region.objects.create(
        slug="bench", name="Bench", timezone="Europe/Berlin", offpeak_start=wall(22), window_minutes=60, active=False
    )


def create_subscribers(region, n, now, batch=5000):
    """``n`` confirmed subscribers of ``region`` (a third each German, Chicago-zoned, Tokyo-zoned), in bulk."""
    from notifications.models import Subscriber

    Through = Subscriber.regions.through
    for start in range(0, n, batch):
        count = min(batch, n - start)
        created = Subscriber.objects.bulk_create(
            Subscriber(
                email=f"bench{start + i}@bench.example",
                state="confirmed",
                created_at=now,
                confirmed_at=now,
                language="de" if (start + i) % 3 == 0 else "en",
                timezone=("", "America/Chicago", "Asia/Tokyo")[(start + i) % 3],
            )
            for i in range(count)
        )
        if not created or created[0].pk is None:  # backends that do not return ids
            created = Subscriber.objects.filter(email__endswith="@bench.example", regions=None)
        Through.objects.bulk_create(Through(subscriber_id=s.pk, region_id=region.pk) for s in created)


def bench_window(region, now):
    """A planned window a week ahead in the bench region, ready to be announced."""
    from maintenance.models import Window

    starts_at = (now + timedelta(days=7)).replace(second=0, microsecond=0)
    return Window.objects.create(
        region=region,
        month=starts_at.date().replace(day=1),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=1),
    )


def cleanup():
    """Remove the bench's rows with plain DELETEs, so that no model instances are loaded (and RSS stays honest)."""
    from django.db import connection

    from maintenance.models import AuditEvent, Region, Window
    from notifications.models import Delivery, Subscriber

    region_ids = list(Region.objects.filter(slug="bench").values_list("id", flat=True))
    Through = Subscriber.regions.through
    with connection.cursor() as cursor:
        subscribers = f"SELECT id FROM {Subscriber._meta.db_table} WHERE email LIKE %s"
        pattern = ["%@bench.example"]
        cursor.execute(f"DELETE FROM {Delivery._meta.db_table} WHERE subscriber_id IN ({subscribers})", pattern)
        cursor.execute(f"DELETE FROM {Through._meta.db_table} WHERE subscriber_id IN ({subscribers})", pattern)
        cursor.execute(f"DELETE FROM {Subscriber._meta.db_table} WHERE email LIKE %s", pattern)
    AuditEvent.objects.filter(window__region_id__in=region_ids).delete()
    Window.objects.filter(region_id__in=region_ids).delete()
    Region.objects.filter(id__in=region_ids).delete()


if __name__ == "__main__":
    sys.exit(main())
