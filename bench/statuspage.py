"""Load the cached status page and a static file from one gunicorn, and compare their requests/s.

    .venv/bin/python bench/statuspage.py [--seconds 10] [--connections 16] [--workers 2]

It builds a throwaway install in a temporary folder (SQLite, DEBUG off, 12 months of windows, a few run windows
and incidents), runs collectstatic there, starts gunicorn on a free port of 127.0.0.1, and loads ``/`` and the
stylesheet (served by whitenoise through the same server) with wrk, or with a small Python load generator when wrk
is not installed. It prints requests/s for each and the ratio page ÷ static. It is a benchmark, not a test.
"""

import argparse
import http.client
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import loadgen  # noqa: E402

PYTHON = sys.executable
SEED = """
from datetime import timedelta
from django.utils import timezone
from maintenance import lifecycle, planning
from maintenance.models import Incident, Region, Window
now = timezone.now()
planning.plan(now - timedelta(days=95), 16)
for window in Window.objects.filter(starts_at__lt=now).order_by("starts_at"):
    lifecycle.announce(window, "bench", now=window.starts_at - timedelta(days=7))
    lifecycle.start(window, "bench", now=window.starts_at)
    lifecycle.complete(window, "bench", now=window.ends_at)
regions = list(Region.objects.all())
for n in range(20):
    incident = Incident.objects.create(
        title=f"Incident {n}", impact="minor", status="resolved",
        started_at=now - timedelta(days=4 * n + 1), resolved_at=now - timedelta(days=4 * n + 1) + timedelta(hours=1),
    )
    incident.regions.set(regions[: 1 + n % len(regions)])
"""


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10, help="length of each load run")
    parser.add_argument("--connections", type=int, default=16, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (the machine has 2 cores)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each URL; the best is kept")
    parser.add_argument("--python-load", action="store_true", help="use the Python load generator even if wrk exists")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="offpeak-bench-"))
    server = None
    try:
        env = environment(folder)
        manage = [PYTHON, str(ROOT / "manage.py")]
        run(manage + ["migrate", "--noinput", "-v0"], env)
        run(manage + ["shell", "-c", SEED], env)
        run(manage + ["collectstatic", "--noinput", "-v0"], env)
        server, port = start_gunicorn(env, folder, args.workers)
        base = f"http://127.0.0.1:{port}"
        page = get(port, "/")
        stylesheet = re.search(r'href="(/static/offpeak/site\.[0-9a-f]+\.css)"', page).group(1)
        get(port, stylesheet)
        tool = "python" if args.python_load or not shutil.which("wrk") else "wrk"
        results = {"/": [], stylesheet: []}
        for _ in range(args.rounds):
            for path in results:
                results[path].append(load(tool, base + path, args.seconds, args.connections))
        page_rps, static_rps = max(results["/"]), max(results[stylesheet])
        print(
            f"load generator: {tool}, {args.connections} connections, {args.seconds} s per run, best of {args.rounds}"
        )
        print(f"gunicorn: {args.workers} sync workers, DEBUG off, whitenoise, the default caches (pages per process)")
        print(f"status page  /{'':<40} {page_rps:10.0f} requests/s")
        print(f"static file  {stylesheet:<41} {static_rps:10.0f} requests/s")
        print(f"ratio page/static: {page_rps / static_rps:.2f}")
        return 0
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=10)
        shutil.rmtree(folder, ignore_errors=True)


def environment(folder):
    (folder / "bench_settings.py").write_text(
        "from statuspage.settings import *  # noqa: F403\n"
        f"STATIC_ROOT = {str(folder / 'static')!r}\n"
        "LOGGING = {**LOGGING, 'root': {'handlers': ['console'], 'level': 'WARNING'}}  # noqa: F405\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CACHE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="bench_settings",
        PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]),
        DEBUG="0",
        SECRET_KEY="bench-only-" + os.urandom(16).hex(),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",  # plain HTTP on the loopback; production's TLS redirect would answer 301
        OFFPEAK_VAR_DIR=str(folder / "var"),
        DATABASE_URL=f"sqlite:///{folder / 'bench.sqlite3'}",
        WEB_ACCESS_LOG="/dev/null",  # the load is hundreds of thousands of requests
    )
    return env


def run(command, env):
    subprocess.run(command, env=env, cwd=ROOT, check=True)


def start_gunicorn(env, folder, workers):
    log = folder / "gunicorn.log"
    command = [
        str(Path(PYTHON).parent / "gunicorn"),
        "statuspage.wsgi",
        "--bind",
        "127.0.0.1:0",
        "--workers",
        str(workers),
        "--error-logfile",
        str(log),
        "--log-level",
        "info",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    return server, loadgen.gunicorn_port(server, log, workers)


def get(port, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path)
    response = connection.getresponse()
    body = response.read().decode()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}")
    return body


def load(tool, url, seconds, connections):
    if tool == "wrk":
        threads = min(2, connections)
        out = subprocess.run(
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        if errors:
            raise SystemExit(f"{url}: {errors.group(1)} failed responses\n{out}")
        return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return python_load(url, seconds, connections)


def python_load(url, seconds, connections):
    """The shared load generator (bench/loadgen.py), for machines without wrk."""
    port, path = url.rsplit(":", 1)[1].split("/", 1)
    [summary] = loadgen.run(int(port), ["/" + path], connections=connections, seconds=seconds)
    if summary["errors"]:
        raise SystemExit(f"{url}: {summary['errors']} failed responses ({summary['statuses']})")
    return summary["rps"]


if __name__ == "__main__":
    sys.exit(main())
