#!/usr/bin/env python3
"""Measure the endpoint fan-out: N confirmed webhook subscriptions and M apprise channels in one region, one incident
opened, time until every endpoint delivery row is sent.

    .venv/bin/python bench/endpoint_fanout.py                  # 1,000 webhooks + 50 channels, in this process, SQLite
    .venv/bin/python bench/endpoint_fanout.py --n 200 --profile   # a quick run, with the top of cProfile's listing
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/endpoint_fanout.py
    DATABASE_URL=... CELERY_BROKER_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/endpoint_fanout.py --workers 2
    ... bench/endpoint_fanout.py --workers 2 --json             # the figures as one JSON object, on the last line

The webhooks and the channels (``json://127.0.0.1:PORT/chat/<i>``) all post to one local receiver in a process of its
own (asyncio, keep-alive, answers 204, counts requests and keeps a sample of them); the sample's Standard Webhooks
signatures are verified at the end, off the hot path. Without --workers the schedule and send tasks run in this
process, one after another (Celery's eager mode); with --workers K they run on K solo-pool celery workers over
CELERY_BROKER_URL, on a private queue. With DATABASE_URL=postgres://... the bench makes a database of its own on that
server and drops it at the end. It prints webhook and apprise deliveries per second (from the moment the incident is
opened to the last request of each kind the receiver got, and from the first to the last), the time until every
row is sent, the CPU time of the workers, of their PostgreSQL backends and of the receiver, each per delivery
(steadier than rates on a shared machine), and the peak RSS of this process and of the largest worker.

Another bench takes the same figures with ``measure(n, channels, workers, ...)``, which runs this bench in a process
of its own (its own Django setup and database, whatever the caller has) and returns them as a dict.
"""

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import Future
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.processes import cpu_seconds, peak_rss_mb, start_workers  # noqa: E402
from bench.statuspage import Database  # noqa: E402

SAMPLES = 200  # webhook requests the receiver keeps whole, for the signature check
KINDS = {"webhook": "hooks", "apprise": "chat"}  # the figures' names, and the receiver's path of each


def measure(n=1000, channels=50, workers=2, threads=None, chunk=None, env=None):
    """Run the bench in a process of its own and return its figures (the dict ``--json`` prints; see ``report``).

    ``env`` adds to this process's environment (DATABASE_URL and CELERY_BROKER_URL are read from it).
    """
    command = [sys.executable, str(Path(__file__).resolve()), "--json", f"--n={n}", f"--channels={channels}"]
    command += [f"--workers={workers}"] + ([f"--threads={threads}"] if threads else [])
    command += [f"--chunk={chunk}"] if chunk else []
    done = subprocess.run(command, env={**os.environ, **(env or {})}, cwd=ROOT, capture_output=True, text=True)
    lines = done.stdout.strip().splitlines()
    if not lines or not lines[-1].startswith("{"):
        raise RuntimeError(f"bench/endpoint_fanout.py ended with {done.returncode}: {done.stderr[-2000:]}")
    return json.loads(lines[-1])


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="confirmed webhook subscriptions (default 1000)")
    parser.add_argument("--channels", type=int, default=50, help="apprise json:// channels (default 50)")
    parser.add_argument("--workers", type=int, default=0, help="send through this many celery worker processes")
    parser.add_argument("--threads", type=int, default=None, help="ENDPOINT_SEND_THREADS (the app's default: 16)")
    parser.add_argument("--chunk", type=int, default=None, help="rows per send task (DELIVERY_CHUNK_SIZE)")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON object on the last line")
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top functions (in process, posting from one thread)"
    )
    args = parser.parse_args(argv)
    if args.n < 0 or args.channels < 0 or args.n + args.channels < 1 or args.workers < 0:
        parser.exit(2, "--n and --channels must not be negative (nor both 0), --workers at least 0.\n")
    if args.profile and args.workers:
        parser.exit(2, "--profile measures this process; use it without --workers.\n")
    return args


# --- the receiver, in a process of its own ----------------------------------------------------------------------------


class Receiving(asyncio.Protocol):
    """HTTP/1.1 with keep-alive, parsed no more than needed: each request's path, Content-Length and body, every POST
    answered 204 at once; ``GET /stats`` answers what it got. Kept cheap, so the figures measure the sender."""

    stats = {"hooks": 0, "chat": 0, "other": 0, "first": {}, "last": {}, "samples": []}

    def connection_made(self, transport):
        self.transport = transport
        self.buffer = b""

    def data_received(self, data):
        buffer = self.buffer + data if self.buffer else data
        answers = []
        close = False
        while True:
            end = buffer.find(b"\r\n\r\n")
            if end < 0:
                break
            head = buffer[:end]
            lowered = head.lower()
            at = lowered.find(b"\r\ncontent-length:")
            length = 0
            if at >= 0:
                stop = head.find(b"\r\n", at + 2)
                length = int(head[at + 17 : stop if stop >= 0 else end])
            if len(buffer) < end + 4 + length:
                break
            body = buffer[end + 4 : end + 4 + length]
            buffer = buffer[end + 4 + length :]
            method, path = head[: head.find(b"\r\n")].split(b" ")[:2]
            if method == b"GET" and path == b"/stats":
                payload = json.dumps(self.stats).encode()
                answers.append(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                answers.append(b"Content-Length: %d\r\n\r\n" % len(payload))
                answers.append(payload)
            else:
                self.count(path, head, body)
                answers.append(b"HTTP/1.1 204 No Content\r\n\r\n")
            close = close or b"\r\nconnection: close" in lowered
        self.buffer = buffer
        if answers:
            self.transport.write(b"".join(answers))
        if close:
            self.transport.close()

    def count(self, path, head, body):
        stats = self.stats
        parts = path.split(b"/")
        kind = parts[1].decode() if len(parts) >= 3 and parts[1] in (b"hooks", b"chat") else "other"
        stats[kind] += 1
        now = time.time()
        stats["first"].setdefault(kind, now)
        stats["last"][kind] = now
        if kind == "hooks" and len(stats["samples"]) < SAMPLES and stats["hooks"] % 5 == 1:
            lines = head.decode("latin-1").split("\r\n")[1:]
            headers = {
                name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)
            }
            stats["samples"].append([path.decode(), headers, body.decode("utf-8")])


def serve(ready):
    """The receiver on a free port of 127.0.0.1; sends its port through ``ready``."""

    async def main():
        server = await asyncio.get_running_loop().create_server(Receiving, "127.0.0.1", 0, backlog=1024)
        ready.send(server.sockets[0].getsockname()[1])
        ready.close()
        async with server:
            await server.serve_forever()

    asyncio.run(main())


def start_receiver():
    parent, child = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(target=serve, args=(child,), daemon=True)
    process.start()
    return process, parent.recv()


def receiver_stats(port):
    import http.client

    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", "/stats")
    stats = json.loads(connection.getresponse().read())
    connection.close()
    return stats


# --- the data --------------------------------------------------------------------------------------------------------


def setup(args, folder, database):
    os.environ.update(
        SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        LOG_LEVEL="WARNING",
        DATABASE_URL=database.url,
        OFFPEAK_VAR_DIR=str(folder / "var"),
        WEBHOOK_ALLOW_HTTP="1",
        WEBHOOK_ALLOWED_NETWORKS="127.0.0.0/8",
        EMAIL_BACKEND="notifications.backends.CountingBackend",
        DJANGO_SETTINGS_MODULE="statuspage.settings",
    )
    if args.threads:
        os.environ["ENDPOINT_SEND_THREADS"] = str(args.threads)
    if args.chunk:
        os.environ["DELIVERY_CHUNK_SIZE"] = str(args.chunk)
    if args.workers:
        os.environ["NOTIFY_QUEUE"] = f"offpeak-bench-{uuid.uuid4().hex[:8]}"
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def create_endpoints(port, n, m, now):
    """A region, ``n`` active webhook subscriptions and ``m`` channels in it, all on the receiver; returns
    ({path: signing secret}, region)."""
    from datetime import time as wall

    from endpoints import subscriptions, vault
    from endpoints.models import Channel, WebhookSubscription
    from maintenance.models import Region

    region = Region.objects.create(
        slug="bench", name="Bench", timezone="Europe/Berlin", offpeak_start=wall(22), window_minutes=60, active=True
    )
    secrets = {f"/hooks/{i}": vault.new_webhook_secret() for i in range(n)}
    created = WebhookSubscription.objects.bulk_create(
        [
            WebhookSubscription(
                url=f"http://127.0.0.1:{port}{path}",
                owner_email=f"owner{i}@bench.example",
                secret_encrypted=vault.encrypt(secret),
                state=WebhookSubscription.State.ACTIVE,
                created_at=now,
                confirmed_at=now,
            )
            for i, (path, secret) in enumerate(secrets.items())
        ],
        batch_size=2000,
    )
    if created and created[0].pk is None:  # backends that do not return ids
        created = WebhookSubscription.objects.all()
    Through = WebhookSubscription.regions.through
    Through.objects.bulk_create([Through(webhooksubscription_id=s.pk, region_id=region.pk) for s in created])
    for i in range(m):
        channel = Channel(name=f"chat {i}", created_at=now)
        subscriptions.set_channel_url(channel, f"json://127.0.0.1:{port}/chat/{i}")
        channel.save()
        channel.regions.set([region])
    return secrets, region


class InThisThread:
    """ThreadPoolExecutor's ``map`` and ``submit`` in the calling thread, so that --profile sees the sending too."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, function, *iterables):
        return list(map(function, *iterables))

    def submit(self, function, *args):
        """The call, made now, as a finished Future."""
        future = Future()
        try:
            future.set_result(function(*args))
        except BaseException as exc:
            future.set_exception(exc)
        return future


def verify(samples, secrets):
    """How many of the sampled webhook requests carry a valid Standard Webhooks signature."""
    from standardwebhooks.webhooks import Webhook, WebhookVerificationError

    good = 0
    for path, headers, body in samples:
        try:
            Webhook(secrets[path]).verify(body, headers)
            good += 1
        except (KeyError, WebhookVerificationError):
            pass
    return good


# --- the run ---------------------------------------------------------------------------------------------------------


def main():
    args = parse()
    if args.workers and not (
        os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
        and os.environ.get("CELERY_BROKER_URL")
    ):
        sys.exit("--workers needs DATABASE_URL=postgres://... and CELERY_BROKER_URL=redis://...")
    receiver, port = start_receiver()  # forked before Django is set up: a small process
    folder = Path(tempfile.mkdtemp(prefix="offpeak-hookbench-"))
    database = Database(folder)
    database.create()
    try:
        setup(args, folder, database)
        figures = run(args, port, receiver)
    finally:
        from django.db import connections

        connections.close_all()
        database.drop()
        receiver.terminate()
        receiver.join(5)
    if args.json:
        print(json.dumps(figures))
    return 0 if figures["ok"] else 1


def wait_until_idle(workers, at_least=5, at_most=60):
    """Wait until the worker processes have used (almost) no CPU for a second, after ``at_least`` seconds."""
    time.sleep(at_least)
    used = [cpu_seconds(w.pid) or 0 for w in workers]
    deadline = time.monotonic() + at_most
    while time.monotonic() < deadline:
        time.sleep(1)
        now = [cpu_seconds(w.pid) or 0 for w in workers]
        if all(later - earlier < 0.03 for earlier, later in zip(used, now, strict=True)):
            return
        used = now


def database_backends():
    """{pid: CPU seconds} of the other PostgreSQL backends on this bench's database (the workers'), when the server
    runs on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        pids = [pid for (pid,) in cursor.fetchall()]
    return {pid: cpu for pid in pids if (cpu := cpu_seconds(pid)) is not None}


def run(args, port, receiver):
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from endpoints.models import EndpointDelivery
    from endpoints.tasks import load_before_sending
    from maintenance import incidents
    from statuspage.celery import app, load_publisher

    load_publisher()  # as a web worker does when it starts (gunicorn.conf.py)
    now = timezone.now()
    started = time.perf_counter()
    secrets, region = create_endpoints(port, args.n, args.channels, now)
    print(
        f"created {args.n} webhook subscriptions and {args.channels} channels in {time.perf_counter() - started:.1f}s"
        f" on {connection.vendor}; receiver on 127.0.0.1:{port} (pid {receiver.pid})"
    )
    workers = []
    if args.workers:
        workers = start_workers(args.workers, settings.NOTIFY_QUEUE)
        wait_until_idle(workers)  # started and connected to the broker: their start is not counted
    else:
        app.conf.task_always_eager = True  # schedule_due and its send chunks run here, one after another
        load_before_sending()  # what a worker loads when it starts
    rows = EndpointDelivery.objects.filter(kind=EndpointDelivery.Kind.EVENT)
    gc.collect()  # the seeding's garbage, which a web worker opening the incident would not carry
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    profiler = None
    if args.profile:
        import cProfile

        from endpoints import outbox

        outbox.ThreadPoolExecutor = InThisThread  # cProfile sees one thread only: post one after another here
        profiler = cProfile.Profile(time.process_time)  # CPU time: waiting for others is not counted
        profiler.enable()
    cpu0, receiver_cpu0 = time.process_time(), cpu_seconds(receiver.pid)
    workers_cpu0 = {w.pid: cpu_seconds(w.pid) or 0 for w in workers}
    backends0 = database_backends()
    wall0, t0 = time.time(), time.perf_counter()
    # after commit: incident_changed -> schedule_due -> create_due + dispatch -> send_chunk tasks
    incidents.open_incident("Bench outage", [region], "major", "Investigating.", deliver_notifications=True)
    expected, deadline = None, t0 + 600
    try:
        while workers:
            # create_due runs in one transaction: its rows appear all at once
            expected = expected or rows.count()
            if expected and rows.filter(status=EndpointDelivery.Status.SENT).count() >= expected:
                break
            if any(w.poll() is not None for w in workers) or time.perf_counter() > deadline:
                sys.exit("a worker died (see its output above), or the fan-out took more than 10 minutes")
            time.sleep(0.1)
    except BaseException:
        for worker in workers:
            worker.terminate()
        raise
    elapsed = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    receiver_cpu = cpu_seconds(receiver.pid) - receiver_cpu0
    workers_cpu = sum((cpu_seconds(w.pid) or 0) - workers_cpu0[w.pid] for w in workers)
    backends = database_backends()
    database_cpu = sum(used - backends0.get(pid, 0) for pid, used in backends.items())
    workers_rss = max((peak_rss_mb(w.pid) or 0 for w in workers), default=None)
    if profiler:
        profiler.disable()
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)

    stats = receiver_stats(port)
    hook_rows = rows.filter(subscription__isnull=False)
    chat_rows = rows.filter(channel__isnull=False)
    figures = {
        "workers": args.workers,
        "threads": settings.ENDPOINT_SEND_THREADS,
        "chunk": settings.DELIVERY_CHUNK_SIZE,
        "database": connection.vendor,
        "seconds": elapsed,
    }
    for label, found in (("webhook", hook_rows), ("apprise", chat_rows)):
        kind = KINDS[label]
        received, first, last = stats[kind], stats["first"].get(kind), stats["last"].get(kind)
        figures[label] = {
            "rows": found.count(),
            "sent": found.filter(status="sent").count(),
            "received": received,
            # from the incident's opening to the last request of this kind the receiver got
            "per_second": received / (last - wall0) if received else None,
            "first_to_last_per_second": received / (last - first) if received and last > first else None,
            "first_after": first - wall0 if first else None,
            "last_after": last - wall0 if last else None,
        }
    sent = figures["webhook"]["sent"] + figures["apprise"]["sent"]
    figures["per_second"] = sent / elapsed
    figures["signatures"] = {"verified": verify(stats["samples"], secrets), "sampled": len(stats["samples"])}
    figures["cpu_seconds"] = {
        "receiver": receiver_cpu,
        "workers": workers_cpu if workers else None,
        "database": database_cpu if workers and connection.vendor == "postgresql" else None,
        "bench": cpu,
    }
    per = 1e6 / max(sent, 1)
    figures["cpu_us_per_delivery"] = {
        name: v * per if v is not None else None for name, v in figures["cpu_seconds"].items()
    }
    figures["peak_rss_mb"] = {
        "bench": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "bench_before": rss_before,
        "largest_worker": workers_rss,
    }
    figures["ok"] = (
        all(figures[label]["rows"] == figures[label]["sent"] == figures[label]["received"] for label in KINDS)
        and figures["signatures"]["verified"] == figures["signatures"]["sampled"]
    )
    report(figures)
    if profiler:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        # the send path's own parts: the guard, the secrets, signing, the unsubscribe token, HTTP, apprise
        parts = r"endpoints/|getaddrinfo|fernet|standardwebhooks|tokens.py|apprise/(Apprise|logger)|requests/api"
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(parts, 60)
    return figures


def report(figures):
    """The figures, for people."""
    print(f"incident opened -> every endpoint row sent: {figures['seconds']:.2f}s")
    for label in KINDS:
        one = figures[label]
        rate = f"{one['per_second']:,.0f}/s" if one["per_second"] else "-"
        print(
            f"{label:8} rows: {one['rows']:6}  sent: {one['sent']:6}  received: {one['received']:6}  ->  {rate}", end=""
        )
        if one["received"]:
            steady = one["first_to_last_per_second"]
            steady = f", {steady:,.0f}/s between them" if steady else ""
            print(f"  (first after {one['first_after']:.2f}s, last after {one['last_after']:.2f}s{steady})")
        else:
            print()
    print(f"all endpoints: {figures['per_second']:,.0f} deliveries/s")
    verified, sampled = figures["signatures"]["verified"], figures["signatures"]["sampled"]
    print(f"signatures verified with standardwebhooks: {verified} of {sampled} sampled webhook requests")
    used, per = figures["cpu_seconds"], figures["cpu_us_per_delivery"]
    names = {
        "workers": "the workers",
        "database": "their PostgreSQL backends",
        "receiver": "the receiver",
        "bench": "this process",
    }
    parts = [f"{names[name]} {used[name]:.2f}s ({per[name]:.0f} µs)" for name in names if used[name] is not None]
    print("CPU time during the fan-out (per delivery): " + ", ".join(parts))
    rss = figures["peak_rss_mb"]
    print(f"peak RSS: this process {rss['bench']:.0f} MB (before the fan-out {rss['bench_before']:.0f} MB)", end="")
    print(f", largest worker {rss['largest_worker']:.0f} MB" if rss["largest_worker"] is not None else "")


if __name__ == "__main__":
    sys.exit(main())
