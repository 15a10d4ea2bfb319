"""What a customer feels on the public pages, measured in one run and printed as one table.

    .venv/bin/python bench/statuspage.py                       # SQLite in a temporary folder
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/statuspage.py
    .venv/bin/python bench/statuspage.py --seconds 3 --renders 5 --rounds 1   # a short run

With DATABASE_URL=postgres://..., it makes a database of its own on that server and drops it at the end. The data
set: the seven seed regions, windows planned for 16 months from the first of the month 95 days ago (the past ones
announced, run and completed: about 111 windows), and 50 incidents of one hour over the last 85 days. It starts
gunicorn with the project's gunicorn.conf.py (2 workers, DEBUG off, whitenoise, the default caches unless CACHE_URL
is set) on a free port of 127.0.0.1, and measures:

1. warm ``/`` ÷ a static file: requests/s of the cached status page and of the stylesheet on the same server (best of
   ``--rounds``);
2. the CPU of one uncached render (``time.process_time`` around Django's test client, every cache cleared first,
   median of ``--renders``) of each public page;
3. p50 and p99 of ``/`` under ``wrk -t2 -c20 -d10s``, quiet and during an incident storm (an incident opened,
   updated every second through maintenance/incidents.py from a thread of this process, then resolved), with the
   error count of each run;
4. requests/s, p50 and p99 of ``/`` with the page cache off (``PAGE_CACHE_SECONDS=0``, a fresh server): what every
   request costs when each one renders.

wrk comes from Debian (``apt-get install wrk``); without it bench/loadgen.py does the load. It is a benchmark, not a
test: run it on a quiet machine.
"""

import argparse
import http.client
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
import loadgen  # noqa: E402

# This file is named like the project's statuspage package: take bench/ off the path so that Django finds the package.
sys.path[:] = [str(ROOT)] + [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]

PAGES = [
    "/",
    "/history/",
    "/sla/",
    "/feeds/maintenance.ics",
    "/feeds/maintenance.atom",
    "/api/v2/summary.json",
    "/windows/{window}/",
]
INCIDENTS = 50
INCIDENT_DAYS = 85


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run (default 10)")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (default 2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2: the machine's cores)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of / and the static file (default 2)")
    parser.add_argument("--renders", type=int, default=20, help="uncached renders per page (default 20)")
    parser.add_argument("--python-load", action="store_true", help="use bench/loadgen.py even if wrk is installed")
    parser.add_argument("--only", choices=["renders"], help="measure only this part (renders: the uncached render CPU)")
    args = parser.parse_args(argv)
    if min(args.seconds, args.connections, args.threads, args.workers, args.rounds, args.renders) < 1:
        parser.exit(2, "--seconds, --connections, --threads, --workers, --rounds and --renders must be positive.\n")
    return args


# --- the install ------------------------------------------------------------------------------------------------


class Database:
    """SQLite in the temporary folder, or a PostgreSQL database of its own on DATABASE_URL's server."""

    def __init__(self, folder):
        given = os.environ.get("DATABASE_URL", "")
        self.admin_url = None
        if given.startswith(("postgres://", "postgresql://")):
            parts = urlsplit(given)
            self.name = f"offpeak_bench_{uuid.uuid4().hex[:8]}"
            self.admin_url = urlunsplit(parts._replace(path="/postgres"))
            self.url = urlunsplit(parts._replace(path=f"/{self.name}"))
            self.label = f"PostgreSQL ({parts.hostname}:{parts.port or 5432}, database {self.name})"
        else:
            self.url = f"sqlite:///{folder / 'bench.sqlite3'}"
            self.label = "SQLite (a file in a temporary folder)"

    def _admin(self, sql):
        import psycopg

        with psycopg.connect(self.admin_url, autocommit=True) as connection:
            connection.execute(sql)

    def create(self):
        if self.admin_url:
            self._admin(f'CREATE DATABASE "{self.name}"')

    def drop(self):
        if self.admin_url:
            self._admin(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def environment(folder, database):
    """Production settings (DEBUG off) with a private static root, var folder and database."""
    (folder / "bench_settings.py").write_text(
        "from statuspage.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(folder / 'static')!r}\n"
        "LOGGING = {**LOGGING, 'root': {'handlers': ['console'], 'level': 'WARNING'}}  # noqa: F405\n"
    )
    for name in ("CELERY_BROKER_URL", "CELERY_RESULT_BACKEND"):  # tasks go to the embedded broker under var/
        os.environ.pop(name, None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]),
        DEBUG="0",
        SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        ALLOWED_HOSTS="127.0.0.1,testserver",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on the loopback; a TLS proxy sits in front in production
        OFFPEAK_VAR_DIR=str(folder / "var"),
        DATABASE_URL=database.url,
        LOG_LEVEL="WARNING",
    )
    sys.path.insert(0, str(folder))


def seed():
    """The data set: 7 regions, ~111 windows (the past ones run), 50 one-hour incidents over the last 85 days."""
    from datetime import timedelta

    from django.utils import timezone

    from maintenance import incidents, lifecycle, planning
    from maintenance.models import Region, Window

    now = timezone.now()
    planning.plan((now - timedelta(days=95)).replace(day=1, hour=0, minute=0, second=0, microsecond=0), 16)
    for window in Window.objects.filter(starts_at__lt=now).order_by("starts_at"):
        lifecycle.announce(window, "bench", now=window.starts_at - timedelta(days=7))
        lifecycle.start(window, "bench", now=window.starts_at)
        lifecycle.complete(window, "bench", now=window.ends_at)
    regions = list(Region.objects.filter(active=True).order_by("position"))
    step = timedelta(days=INCIDENT_DAYS) / INCIDENTS
    for n in range(INCIDENTS):
        start = now - timedelta(hours=2) - n * step
        incident = incidents.open_incident(
            f"Elevated errors {n + 1}", regions[: 1 + n % len(regions)], "minor", "Looking into it.", now=start
        )
        incidents.resolve(incident, "Fixed.", resolved_at=start + timedelta(hours=1), now=start + timedelta(hours=1))
    return Window.objects.count()


# --- cold renders -----------------------------------------------------------------------------------------------


def cold_render_cpu(paths, renders):
    """{path: median CPU ms of one uncached render}: each render starts with every cache empty."""
    from django.core.cache import caches
    from django.test import Client

    from statuspage import caching

    client = Client()
    results = {}
    for path in paths:
        times = []
        for _ in range(renders + 1):  # the first one warms imports and the template cache
            for cache in caches.all():
                cache.clear()
            caching.reset_fingerprint()
            started = time.process_time()
            response = client.get(path)
            times.append(time.process_time() - started)
            if response.status_code != 200:
                raise SystemExit(f"GET {path} answered {response.status_code}")
        results[path] = statistics.median(times[1:]) * 1000
    return results


# --- the server and the load ------------------------------------------------------------------------------------


def start_gunicorn(folder, workers, name="gunicorn"):
    """gunicorn with the project's gunicorn.conf.py, on a free port, without an access log; ``name`` names its
    config and log files, so a second server's port is read from a log of its own."""
    config = folder / f"bench_{name}.py"
    log = folder / f"{name}.log"
    config.write_text(
        f"exec(open({str(ROOT / 'gunicorn.conf.py')!r}).read())\n"
        "bind = '127.0.0.1:0'\n"
        f"workers = {workers}\n"
        "accesslog = None\n"
        f"errorlog = {str(log)!r}\n"
        "loglevel = 'info'\n"
    )
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "-c", str(config), "statuspage.wsgi"], cwd=ROOT, env=os.environ
    )
    return server, loadgen.gunicorn_port(server, log, workers)


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}")
    return body


UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(url, args):
    """One wrk run: {rps, p50_ms, p99_ms, errors, requests}. A request slower than wrk's default 2 s timeout would
    count as an error and leave the percentiles; with a timeout past the run's end every answer is in them."""
    timeout = f"--timeout={args.seconds + 30}s"
    out = subprocess.run(
        ["wrk", f"-t{args.threads}", f"-c{args.connections}", f"-d{args.seconds}s", timeout, "--latency", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    def percentile(label):
        value, unit = re.search(rf"^\s+{label}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M).groups()
        return float(value) * UNITS[unit]

    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "p50_ms": percentile("50"),
        "p99_ms": percentile("99"),
        "errors": (int(non_2xx.group(1)) if non_2xx else 0) + (sum(map(int, sockets.groups())) if sockets else 0),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
    }


def python_load(port, path, args):
    [summary] = loadgen.run(port, [path], connections=args.connections, seconds=args.seconds)
    return {key: summary[key] for key in ("rps", "p50_ms", "p99_ms", "errors", "requests")}


class Storm(threading.Thread):
    """An incident opened, updated every second through maintenance/incidents.py, then resolved."""

    def __init__(self):
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.updates = 0
        self.error = None

    def run(self):
        from django.db import connection

        from maintenance import incidents
        from maintenance.models import Region

        try:
            region = Region.objects.filter(active=True).order_by("position").first()
            incident = incidents.open_incident("Incident storm", [region], "major", "Investigating errors.")
            statuses = ["identified", "monitoring"]
            while not self.stop.wait(1.0):
                self.updates += 1
                incidents.post_update(incident, statuses[self.updates % 2], f"Update {self.updates}.")
            incidents.resolve(incident, "Resolved.")
        except Exception as exc:  # reported by the main thread
            self.error = exc
        finally:
            connection.close()


# --- the run ----------------------------------------------------------------------------------------------------


def main(argv=None):
    args = parse(argv)
    folder = Path(tempfile.mkdtemp(prefix="offpeak-bench-"))
    database = Database(folder)
    server = None
    database.create()
    try:
        environment(folder, database)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from maintenance.models import Incident, Region, Window

        call_command("migrate", verbosity=0)
        windows = seed()
        call_command("collectstatic", interactive=False, verbosity=0)
        window = Window.objects.filter(status="completed").order_by("-starts_at").first()
        paths = [path.format(window=window.pk) for path in PAGES]
        data = f"{Region.objects.count()} regions, {windows} windows, {Incident.objects.count()} incidents"

        cold = cold_render_cpu(paths, args.renders)
        connection.close()
        if args.only == "renders":
            print(f"\ndatabase: {database.label}; data: {data}")
            for path, ms in cold.items():
                print(f"uncached render CPU, median of {args.renders}: {path}  {ms:.1f} ms")
            return 0

        server, port = start_gunicorn(folder, args.workers)
        page = get(port, "/")
        stylesheet = re.search(r'href="(/static/offpeak/site\.[0-9a-f]+\.css)"', page).group(1)
        get(port, stylesheet)
        tool = "python" if args.python_load or not shutil.which("wrk") else "wrk"

        def load(path):
            if tool == "wrk":
                return wrk(f"http://127.0.0.1:{port}{path}", args)
            return python_load(port, path, args)

        best = {"/": None, stylesheet: None}
        for _ in range(args.rounds):
            for path in best:
                run = load(path)
                if best[path] is None or run["rps"] > best[path]["rps"]:
                    best[path] = run
        quiet = best["/"]

        storm = Storm()
        storm.start()
        time.sleep(1.5)  # the incident is open and a first update is in
        stormy = load("/")
        storm.stop.set()
        storm.join(timeout=30)
        if storm.error:
            raise SystemExit(f"the incident storm failed: {storm.error}")

        # The same page with the page cache off (PAGE_CACHE_SECONDS=0): every request renders, on a fresh server.
        server.terminate()
        server.wait(timeout=30)
        os.environ["PAGE_CACHE_SECONDS"] = "0"
        server, port = start_gunicorn(folder, args.workers, name="gunicorn-uncached")
        get(port, "/")
        uncached = load("/")

        cache = os.environ.get("CACHE_URL") or "the default (a shared counter in the database, pages per process)"
        load_line = (
            f"wrk -t{args.threads} -c{args.connections} -d{args.seconds}s"
            if tool == "wrk"
            else f"bench/loadgen.py, {args.connections} connections, {args.seconds} s"
        )
        print(f"\ndatabase: {database.label}; data: {data}")
        print(f"gunicorn: gunicorn.conf.py, {args.workers} workers, DEBUG off; cache: {cache}; load: {load_line}")
        print(table(quiet, best[stylesheet], stylesheet, cold, stormy, storm.updates, args.renders, uncached))
        return 0 if quiet["errors"] == stormy["errors"] == uncached["errors"] == 0 else 1
    finally:
        tear_down(server, database, folder)


def tear_down(server, database, folder):
    """Stop the server (if it started), close Django's connections, drop the bench's database and its folder."""
    if server is not None:
        server.terminate()
        server.wait(timeout=30)
    try:
        from django.db import connections

        connections.close_all()
    except Exception:  # noqa: BLE001 - Django may not be set up yet; nothing to close then
        pass
    database.drop()
    shutil.rmtree(folder, ignore_errors=True)


def table(quiet, static, stylesheet, cold, stormy, updates, renders, uncached):
    def latency(run):
        figures = f"p50 {run['p50_ms']:.1f} ms, p99 {run['p99_ms']:.1f} ms, {run['errors']} errors"
        return f"{figures} ({run['requests']:,} requests)"

    rows = [
        (
            "warm / ÷ static file (requests/s)",
            f"{quiet['rps'] / static['rps']:.2f} ({quiet['rps']:,.0f} ÷ {static['rps']:,.0f}, {stylesheet})",
        ),
        *((f"uncached render CPU, median of {renders}: {path}", f"{ms:.1f} ms") for path, ms in cold.items()),
        ("/ quiet", latency(quiet)),
        (f"/ incident storm ({updates} updates, 1 per second)", latency(stormy)),
        ("/ with the page cache off (every request renders)", f"{uncached['rps']:,.1f} req/s, {latency(uncached)}"),
    ]
    width = max(len(what) for what, _ in rows)
    lines = [f"{'what':<{width}}  figure", f"{'-' * width}  {'-' * 20}"]
    lines += [f"{what:<{width}}  {figure}" for what, figure in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
