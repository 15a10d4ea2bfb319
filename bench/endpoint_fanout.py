#!/usr/bin/env python3
"""Measure the endpoint fan-out: N confirmed webhook subscriptions and M apprise channels in one region, one incident
opened, time until every endpoint delivery row is sent.

    .venv/bin/python bench/endpoint_fanout.py                  # 1,000 webhooks + 50 channels, in this process, SQLite
    .venv/bin/python bench/endpoint_fanout.py --n 200 --profile   # a quick run, with the top of cProfile's listing
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/endpoint_fanout.py
    DATABASE_URL=... CELERY_BROKER_URL=redis://127.0.0.1:6379/5 .venv/bin/python bench/endpoint_fanout.py --workers 2

The webhooks and the channels (``json://127.0.0.1:PORT/chat/<i>``) all post to one local receiver in a process of its
own (asyncio, answers 204, counts requests and keeps a sample of them); the sample's Standard Webhooks signatures are
verified at the end, off the hot path. Without --workers the schedule and send tasks run in this process, one after
another (Celery's eager mode); with --workers K they run on K solo-pool celery workers over CELERY_BROKER_URL, on a
private queue. With DATABASE_URL=postgres://... the bench makes a database of its own on that server and drops it at
the end. It prints webhook and apprise deliveries per second (from the moment the incident is opened to the last
request of each kind the receiver got), the time until every row is sent, and the peak RSS.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

from bench.fanout import peak_mb, server_cpu, start_workers  # noqa: E402
from bench.statuspage import Database  # noqa: E402

SAMPLES = 200  # webhook requests the receiver keeps whole, for the signature check


def parse():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1000, help="confirmed webhook subscriptions (default 1000)")
    parser.add_argument("--channels", type=int, default=50, help="apprise json:// channels (default 50)")
    parser.add_argument("--workers", type=int, default=0, help="send through this many celery worker processes")
    parser.add_argument("--threads", type=int, default=None, help="ENDPOINT_SEND_THREADS (the app's default: 16)")
    parser.add_argument("--chunk", type=int, default=None, help="rows per send task (DELIVERY_CHUNK_SIZE)")
    parser.add_argument(
        "--profile", action="store_true", help="print cProfile's top functions (in process, posting from one thread)"
    )
    args = parser.parse_args()
    if args.n < 0 or args.channels < 0 or args.n + args.channels < 1 or args.workers < 0:
        parser.exit(2, "--n and --channels must not be negative (nor both 0), --workers at least 0.\n")
    if args.profile and args.workers:
        parser.exit(2, "--profile measures this process; use it without --workers.\n")
    return args


# --- the receiver, in a process of its own ----------------------------------------------------------------------------


def serve(ready):
    """An HTTP/1.1 server on a free port of 127.0.0.1 answering every POST 204; GET /stats returns what it got."""
    stats = {"hooks": 0, "chat": 0, "other": 0, "first": {}, "last": {}, "samples": []}

    async def handle(reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path = lines[0].split(" ")[:2]
                headers = {}
                for line in lines[1:]:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length") or 0))
                if method == "GET" and path == "/stats":
                    payload = json.dumps(stats).encode()
                    writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
                    writer.write(b"Content-Length: %d\r\n\r\n%s" % (len(payload), payload))
                else:
                    kind = path.split("/")[1] if path.count("/") >= 2 else "other"
                    kind = kind if kind in ("hooks", "chat") else "other"
                    stats[kind] += 1
                    now = time.time()
                    stats["first"].setdefault(kind, now)
                    stats["last"][kind] = now
                    if kind == "hooks" and len(stats["samples"]) < SAMPLES and stats["hooks"] % 5 == 1:
                        stats["samples"].append([path, headers, body.decode("utf-8")])
                    writer.write(b"HTTP/1.1 204 No Content\r\n\r\n")
                await writer.drain()
                if headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, ConnectionError, ValueError):
            pass
        finally:
            writer.close()

    async def main():
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
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
    """ThreadPoolExecutor's ``map`` in the calling thread, so that --profile sees the sending too."""

    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def map(self, function, *iterables):
        return list(map(function, *iterables))


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
        return run(args, port, receiver)
    finally:
        from django.db import connections

        connections.close_all()
        database.drop()
        receiver.terminate()
        receiver.join(5)


def run(args, port, receiver):
    from django.db import connection
    from django.utils import timezone

    from endpoints.models import EndpointDelivery
    from maintenance import incidents
    from statuspage.celery import app

    now = timezone.now()
    started = time.perf_counter()
    secrets, region = create_endpoints(port, args.n, args.channels, now)
    print(
        f"created {args.n} webhook subscriptions and {args.channels} channels in {time.perf_counter() - started:.1f}s"
        f" on {connection.vendor}; receiver on 127.0.0.1:{port} (pid {receiver.pid})"
    )
    workers = []
    if args.workers:
        from django.conf import settings

        workers = start_workers(args.workers, settings.NOTIFY_QUEUE)
        time.sleep(8)  # let them connect to the broker before the clock starts
    else:
        app.conf.task_always_eager = True  # schedule_due and its send chunks run here, one after another
    rows = EndpointDelivery.objects.filter(kind=EndpointDelivery.Kind.EVENT)
    rss_before = peak_mb(resource.RUSAGE_SELF)
    profiler = None
    if args.profile:
        import cProfile

        from endpoints import outbox

        outbox.ThreadPoolExecutor = InThisThread  # cProfile sees one thread only: post one after another here
        profiler = cProfile.Profile()
        profiler.enable()
    cpu0, receiver_cpu0 = time.process_time(), server_cpu(receiver.pid)
    workers_cpu0 = sum(server_cpu(w.pid) or 0 for w in workers)
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
    receiver_cpu = server_cpu(receiver.pid) - receiver_cpu0
    workers_cpu = sum(server_cpu(w.pid) or 0 for w in workers) - workers_cpu0
    if profiler:
        import pstats

        profiler.disable()
    for worker in workers:
        worker.terminate()
        worker.wait(timeout=30)

    stats = receiver_stats(port)
    hook_rows = rows.filter(subscription__isnull=False)
    chat_rows = rows.filter(channel__isnull=False)
    counts = {
        "webhook": (hook_rows.count(), hook_rows.filter(status="sent").count(), stats["hooks"], "hooks"),
        "apprise": (chat_rows.count(), chat_rows.filter(status="sent").count(), stats["chat"], "chat"),
    }
    print(f"incident opened -> every endpoint row sent: {elapsed:.2f}s")
    for label, (total, sent, received, kind) in counts.items():
        last = stats["last"].get(kind)
        rate = f"{received / (last - wall0):,.0f}/s" if last and received else "-"
        print(f"{label:8} rows: {total:6}  sent: {sent:6}  received: {received:6}  ->  {rate}", end="")
        if received:
            first = stats["first"][kind]
            steady = f", {received / (last - first):,.0f}/s between them" if last > first else ""
            print(f"  (first after {first - wall0:.2f}s, last after {last - wall0:.2f}s{steady})")
        else:
            print()
    total_sent = sum(c[1] for c in counts.values())
    print(f"all endpoints: {total_sent / elapsed:,.0f} deliveries/s")
    good = verify(stats["samples"], secrets)
    print(f"signatures verified with standardwebhooks: {good} of {len(stats['samples'])} sampled webhook requests")
    per = 1e6 / max(total_sent, 1)
    print(
        f"CPU time during the fan-out: the receiver {receiver_cpu:.2f}s ({receiver_cpu * per:.0f} µs per delivery)",
        end="",
    )
    print(f", the workers {workers_cpu:.2f}s ({workers_cpu * per:.0f} µs per delivery)" if workers else "")
    if not workers:
        print(f"CPU time of this process: {cpu:.2f}s ({cpu / max(total_sent, 1) * 1e6:.0f} µs per delivery)")
    print(
        f"peak RSS: this process {peak_mb(resource.RUSAGE_SELF):.0f} MB (before the fan-out {rss_before:.0f} MB)",
        end="",
    )
    print(f", largest worker {peak_mb(resource.RUSAGE_CHILDREN):.0f} MB" if workers else "")
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        # the send path's own parts: the guard's lookup, signing, the secret's decryption, the HTTP pool
        parts = r"endpoints/|getaddrinfo|fernet|standardwebhooks|connectionpool.py.*(__init__|close)"
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(parts, 25)
    ok = all(total == sent == received for total, sent, received, _kind in counts.values())
    ok = ok and good == len(stats["samples"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
