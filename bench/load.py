#!/usr/bin/env python3
"""Load the public pages while a large announcement fan-out runs: does the status page hold when the database is
busiest?

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/offpeak_bench CELERY_BROKER_URL=redis://127.0.0.1:6379/5 \\
        .venv/bin/python bench/load.py                    # 100,000 subscribers, 50 connections for 30 s
    ... bench/load.py --n 5000 --seconds 5                # a quick run
    CACHE_URL=redis://127.0.0.1:6379/6 ... bench/load.py  # the page cache shared through Redis

It confirms N subscribers in an inactive region of its own (bench/fanout.py's pieces), plans the real regions'
windows (plan_windows, which adds only what is missing), runs collectstatic into a temporary folder, starts gunicorn
(gunicorn.conf.py, DEBUG off) on a free port of 127.0.0.1 and K live Celery workers on a private queue, then loads
``/`` and ``/api/v2/summary.json`` with bench/loadgen.py and announces the bench window one second into the load.
It prints requests/s, p50/p99 latency and errors per path, and the fan-out's recipients/s and whether it finished
within the load. The mail backend only counts. It removes the bench rows at the end unless --keep is given.
"""

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import fanout  # noqa: E402
import loadgen  # noqa: E402

PATHS = ["/", "/api/v2/summary.json"]


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=100_000, help="subscribers to announce to (default 100000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the load (default 30)")
    parser.add_argument("--connections", type=int, default=50, help="concurrent keep-alive connections (default 50)")
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes doing the fan-out (default 2)")
    parser.add_argument(
        "--worker-nice", type=int, default=0, help="CPU niceness of the celery workers (default 0: they share the CPU)"
    )
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes (default 2)")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker (default 4)")
    parser.add_argument(
        "--max-requests",
        type=int,
        default=None,
        help="gunicorn max_requests (default: gunicorn.conf.py's); 0 never recycles a worker",
    )
    parser.add_argument("--keep", action="store_true", help="keep the bench region, window and subscribers")
    parser.add_argument("--no-fan-out", action="store_true", help="the same load with no announcement (a baseline)")
    parser.add_argument("--path", action="append", help="load this path instead of / and the v2 summary (repeatable)")
    args = parser.parse_args()
    if args.n < 1 or args.seconds <= 0 or args.connections < 1 or args.workers < 1 or args.web_workers < 1:
        parser.exit(2, "--n, --seconds, --connections, --workers and --web-workers must all be positive.\n")
    if not os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://")):
        parser.exit(2, "bench/load.py needs DATABASE_URL=postgres://... (and CELERY_BROKER_URL=redis://...).\n")
    if not os.environ.get("CELERY_BROKER_URL", "").startswith(("redis://", "rediss://", "amqp://")):
        parser.exit(2, "bench/load.py needs CELERY_BROKER_URL=redis://... for its live workers.\n")
    return args


def environment(folder, queue):
    """What the bench, gunicorn and the workers share: production settings with a private static root and queue."""
    (folder / "bench_settings.py").write_text(
        "from statuspage.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(folder / 'static')!r}\n"
        "LOGGING = {**LOGGING, 'root': {'handlers': ['console'], 'level': 'WARNING'}}  # noqa: F405\n"
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]),
        DEBUG="0",
        SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on the loopback; a TLS proxy sits in front in production
        OFFPEAK_VAR_DIR=str(folder / "var"),
        EMAIL_BACKEND="notifications.backends.CountingBackend",
        NOTIFY_QUEUE=queue,
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(folder))


def start_gunicorn(folder, workers, threads, max_requests=None):
    """gunicorn with the project's gunicorn.conf.py, on a free port, without an access log."""
    config = folder / "bench_gunicorn.py"
    config.write_text(
        f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
        "bind = '127.0.0.1:0'\n"
        f"workers = {workers}\n"
        f"threads = {threads}\n"
        "accesslog = None\n"
        + (f"max_requests = {max_requests}\n" if max_requests is not None else "")
        + f"errorlog = {str(folder / 'gunicorn.log')!r}\n"
    )
    log = folder / "gunicorn.log"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(config), "statuspage.wsgi"], cwd=ROOT, env=os.environ
    )
    return server, loadgen.gunicorn_port(server, log, workers)


def report(summaries):
    print(loadgen.table(summaries))
    for s in summaries:
        if s["errors"] or s["retried"]:
            print(
                f"  {s['path']}: {s['connection_errors']} connection errors, statuses {s['statuses']}, "
                f"{s['retried']} sent again after a kept-alive connection was closed unanswered"
            )


def warm_up(port):
    import http.client

    for path in PATHS:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        if response.status != 200:
            raise SystemExit(f"GET {path} answered {response.status} before the load")


class FanOut(threading.Thread):
    """Announce the window after ``delay`` seconds, then follow the fan-out until every row is sent."""

    def __init__(self, window, n, delay, workers):
        super().__init__(daemon=True)
        self.window, self.n, self.delay, self.workers = window, n, delay, workers
        self.started = self.finished = None
        self.sent = 0
        self.error = None

    def run(self):
        from django.db import connection

        from maintenance import lifecycle
        from notifications.models import Delivery

        try:
            time.sleep(self.delay)
            self.started = time.monotonic()
            lifecycle.announce(self.window, "bench")  # after commit: window_changed -> schedule_due on the workers
            while self.sent < self.n:
                if any(worker.poll() is not None for worker in self.workers):
                    raise RuntimeError("a celery worker died")
                time.sleep(0.5)
                self.sent = Delivery.objects.filter(window=self.window, status="sent").count()
            self.finished = time.monotonic()
        except Exception as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()

    def sent_by(self, moment):
        return self.n if self.finished and self.finished <= moment else None


def main():
    args = parse()
    folder = Path(tempfile.mkdtemp(prefix="offpeak-load-"))
    queue = f"offpeak-load-{uuid.uuid4().hex[:8]}"
    environment(folder, queue)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    server, workers = None, []
    try:
        call_command("migrate", verbosity=0)
        call_command("plan_windows", verbosity=0)
        call_command("collectstatic", interactive=False, verbosity=0)
        fanout.cleanup()
        region = fanout.bench_region()
        now = timezone.now()
        t = time.perf_counter()
        fanout.create_subscribers(region, args.n, now)
        print(f"created {args.n} confirmed subscribers in {time.perf_counter() - t:.1f}s")
        window = fanout.bench_window(region, now)
        connection.close()

        server, port = start_gunicorn(folder, args.web_workers, args.web_threads, args.max_requests)
        workers = fanout.start_workers(args.workers, queue, nice=args.worker_nice)
        warm_up(port)
        time.sleep(2)  # the workers connect to the broker

        paths = args.path or PATHS
        follower = FanOut(window, args.n, delay=1.0, workers=workers)
        if args.no_fan_out:
            summaries = loadgen.run(port, paths, connections=args.connections, seconds=args.seconds)
            print(f"\nno fan-out; load: {args.connections} connections for {args.seconds:g} s")
            report(summaries)
            print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min) at the end")
            return 0
        follower.start()
        summaries = loadgen.run(port, paths, connections=args.connections, seconds=args.seconds)
        load_ended = time.monotonic()
        sent_during_load = follower.sent
        follower.join(timeout=600)
        if follower.error:
            raise SystemExit(f"fan-out failed: {follower.error}")
        if follower.finished is None:
            raise SystemExit(f"fan-out did not finish within 10 minutes ({follower.sent} of {args.n} sent)")
        fan_out_seconds = follower.finished - follower.started
        within = follower.finished <= load_ended

        cache = os.environ.get("CACHE_URL") or "the default (a shared counter in the database, pages per process)"
        print(
            f"\nload: {args.connections} connections for {args.seconds:g} s on {' and '.join(paths)}; "
            f"gunicorn {args.web_workers} workers x {args.web_threads} threads, DEBUG off; cache {cache}"
        )
        print(f"fan-out: {args.workers} celery workers (solo pool, nice {args.worker_nice}), {args.n} recipients")
        report(summaries)
        print(
            f"fan-out: {args.n} sent in {fan_out_seconds:.1f} s -> {args.n / fan_out_seconds:,.0f} recipients/s; "
            + (
                "finished during the load"
                if within
                else f"finished {follower.finished - load_ended:.1f} s after the load "
                f"({sent_during_load} sent while it lasted)"
            )
        )
        print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min) at the end")
        errors = sum(s["errors"] for s in summaries)
        worst_p99 = max(s["p99_ms"] for s in summaries)
        print(f"goal (0 errors, p99 < 250 ms): {'met' if errors == 0 and worst_p99 < 250 else 'NOT met'}")
        return 0 if errors == 0 else 1
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=30)
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        try:
            if not args.keep:
                fanout.cleanup()
        finally:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
