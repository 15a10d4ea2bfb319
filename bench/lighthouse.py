"""Lighthouse's four category scores of the public pages, desktop and mobile, printed as one table.

    (cd bench/lighthouse && npm ci)                  # once: Lighthouse 12, pinned by bench/lighthouse/package-lock.json
    .venv/bin/python bench/lighthouse.py             # SQLite in a temporary folder, one run per page and preset
    .venv/bin/python bench/lighthouse.py --runs 3    # the median of three runs (performance is noisy on a busy machine)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/lighthouse.py --reports /tmp/lh

It builds the same throwaway install as bench/statuspage.py (its helpers, imported): DEBUG off, a random SECRET_KEY,
the seven seed regions, about 111 windows (the past ones run) and 50 incidents, collectstatic into the temporary
folder, gunicorn with the project's gunicorn.conf.py on a free port of 127.0.0.1, static files from whitenoise. Then
it runs Lighthouse on ``/``, ``/sla/``, ``/history/`` and the page of the latest completed window, with the mobile
(the default) and the desktop preset, in Debian's Chromium (``CHROME_PATH``, default /usr/bin/chromium, headless).
It prints performance, accessibility, best practices and SEO per page and preset, then every audit that lost points
(id, title, what it measured). It exits 1 when a score is below 100.

Lighthouse's performance score is simulated from the page's trace, with the CPU slowed down four times for mobile,
so it falls with the machine's load. Two figures tell the machine from the page: the first row is a control, a
static page with one paragraph and nothing to load or run (what it loses, the machine loses), and each row gives
Lighthouse's benchmark index of the machine at the time (under 1000, Lighthouse deems the CPU slower than its
mobile throttling expects). Run it on a quiet machine, with ``--runs 3``.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE_FOLDER = ROOT / "bench" / "lighthouse"
LIGHTHOUSE = NODE_FOLDER / "node_modules" / ".bin" / "lighthouse"
CHROME_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
CATEGORIES = {"performance": "perf", "accessibility": "a11y", "best-practices": "best", "seo": "seo"}
PAGES = {"status": "/", "sla": "/sla/", "history": "/history/", "window": "/windows/{window}/"}
PRESETS = ["mobile", "desktop"]
# The control row: a page with nothing to load or run, served by the same server. What it loses, the machine loses.
CONTROL = (
    '<!doctype html><html lang="en"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    '<meta name="description" content="A page with one paragraph."><link rel="icon" href="data:,">'
    "<title>Control</title></head>"
    "<body><main><h1>Control</h1><p>One paragraph and nothing else.</p></main></body></html>\n"
)


def bench_statuspage():
    """bench/statuspage.py under another module name: its own name would hide the project's statuspage package."""
    spec = importlib.util.spec_from_file_location("bench_statuspage", ROOT / "bench" / "statuspage.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def parse(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1, help="runs per page and preset; the median (default 1)")
    parser.add_argument("--preset", choices=[*PRESETS, "both"], default="both", help="form factor (default both)")
    parser.add_argument(
        "--page", action="append", choices=PAGES, help="only this page (repeatable; default all: %(choices)s)"
    )
    parser.add_argument("--no-control", action="store_true", help="leave out the control row (an empty page)")
    parser.add_argument("--reports", type=Path, help="also keep each run's JSON and HTML report in this folder")
    parser.add_argument("--timeout", type=int, default=180, help="seconds allowed to one Lighthouse run (default 180)")
    parser.add_argument("--retries", type=int, default=2, help="tries again after a run without a report (default 2)")
    args = parser.parse_args(argv)
    if min(args.runs, args.timeout) < 1 or args.retries < 0:
        parser.exit(2, "--runs and --timeout must be positive, --retries at least 0.\n")
    return args


class Failed(Exception):
    """A Lighthouse run that gave no report: on a busy machine its trace is sometimes incomplete (NO_NAVSTART)."""


def lighthouse(url, preset, out, timeout):
    """One Lighthouse run of ``url``: its JSON report (the HTML one lies beside it), or Failed."""
    command = [
        str(LIGHTHOUSE),
        url,
        f"--only-categories={','.join(CATEGORIES)}",
        f"--chrome-flags={' '.join(CHROME_FLAGS)}",
        "--output=json",
        "--output=html",
        f"--output-path={out}",
        "--quiet",
        *(["--preset=desktop"] if preset == "desktop" else []),
    ]
    env = {**os.environ, "CHROME_PATH": os.environ.get("CHROME_PATH", "/usr/bin/chromium")}
    # A session of its own, so that a timeout takes Chromium down with Lighthouse.
    process = subprocess.Popen(command, env=env, start_new_session=True, stderr=subprocess.PIPE, text=True)
    try:
        _, errors = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise Failed(f"Lighthouse took more than {timeout} s on {url} ({preset})") from None
    report = out.with_name(out.name + ".report.json")
    if process.returncode != 0 or not report.exists():
        raise Failed(f"Lighthouse failed on {url} ({preset}), exit {process.returncode}:\n{errors}")
    result = json.loads(report.read_text())
    if result.get("runtimeError"):
        raise Failed(f"Lighthouse could not load {url} ({preset}): {result['runtimeError']['message']}")
    return result


def attempt(url, preset, out, args):
    """``lighthouse()``, tried again up to ``--retries`` times when a run gives no report."""
    for left in range(args.retries, -1, -1):
        try:
            return lighthouse(url, preset, out, args.timeout)
        except Failed as failure:
            if not left:
                raise SystemExit(str(failure)) from None
            print(f"{failure}\ntrying again ({left} more {'try' if left == 1 else 'tries'} left)", file=sys.stderr)


def scores(result):
    """{category id: score out of 100}."""
    return {key: round(result["categories"][key]["score"] * 100) for key in CATEGORIES}


def lost_points(result):
    """[(category, audit id, title, what it measured)] of the audits that count toward a score and are not perfect."""
    found = []
    for key in CATEGORIES:
        for ref in result["categories"][key]["auditRefs"]:
            audit = result["audits"][ref["id"]]
            if ref["weight"] > 0 and audit["score"] is not None and audit["score"] < 1:
                found.append((key, audit["id"], audit["title"], audit.get("displayValue", "")))
    return found


def main(argv=None):
    args = parse(argv)
    if not LIGHTHOUSE.exists():
        raise SystemExit(f"Lighthouse is not installed: run (cd {NODE_FOLDER.relative_to(ROOT)} && npm ci)")
    bench = bench_statuspage()
    folder = Path(tempfile.mkdtemp(prefix="offpeak-lighthouse-"))
    database = bench.Database(folder)
    server = None
    database.create()
    try:
        bench.environment(folder, database)
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from maintenance.models import Incident, Region, Window

        call_command("migrate", verbosity=0)
        windows = bench.seed()
        call_command("collectstatic", interactive=False, verbosity=0)
        (folder / "static" / "control.html").write_text(CONTROL)  # whitenoise finds it when gunicorn starts
        window = Window.objects.filter(status="completed").order_by("-starts_at").first()
        paths = [PAGES[name].format(window=window.pk) for name in args.page or PAGES]
        if not args.no_control:
            paths.insert(0, "/static/control.html")
        data = f"{Region.objects.count()} regions, {windows} windows, {Incident.objects.count()} incidents"
        connection.close()

        server, port = bench.start_gunicorn(folder, workers=2)
        for path in paths:  # each page rendered and cached once, as a visitor's would be
            bench.get(port, path)
        presets = PRESETS if args.preset == "both" else [args.preset]
        rows, lost = [], {}
        for path in paths:
            for preset in presets:
                runs = []
                for n in range(args.runs):
                    out = folder / "reports" / f"{path.strip('/').replace('/', '-') or 'status'}-{preset}-{n + 1}"
                    out.parent.mkdir(exist_ok=True)
                    result = attempt(f"http://127.0.0.1:{port}{path}", preset, out, args)
                    runs.append({**scores(result), "benchmark": result["environment"]["benchmarkIndex"]})
                    for key, audit, title, shown in lost_points(result):
                        lost.setdefault((path, preset, key, audit, title), []).append(shown)
                rows.append((path, preset, runs))
        if args.reports:
            args.reports.mkdir(parents=True, exist_ok=True)
            for report in (folder / "reports").iterdir():
                shutil.copy(report, args.reports / report.name)

        print(f"\ndata: {data}; gunicorn: gunicorn.conf.py, 2 workers, DEBUG off, whitenoise")
        browser = re.search(r"\S*Chrome/[\d.]+", result["environment"]["hostUserAgent"]).group()
        print(f"Lighthouse {result['lighthouseVersion']}, {browser}, {args.runs} run(s) per row ", end="")
        print("(the median; with more than one run, performance's lowest and highest)")
        print(table(rows, args.runs))
        if lost:
            print("\naudits that lost points (page, preset, category: id, title, measured in each run that lost):")
            for (path, preset, key, audit, title), shown in lost.items():
                measured = "; ".join(value for value in shown if value)
                print(f"  {path} {preset} {key}: {audit}, {title}" + (f" ({measured})" if measured else ""))
        perfect = all(min(run[key] for run in runs) == 100 for _, _, runs in rows for key in CATEGORIES)
        return 0 if perfect else 1
    finally:
        bench.tear_down(server, database, folder)


def table(rows, count):
    width = max(len(path) for path, _, _ in rows)
    heading = "  ".join(f"{short:>4}" for short in CATEGORIES.values())
    lines = [f"{'page':<{width}}  preset   {heading}  benchmark index"]
    lines.append("-" * (len(lines[0]) + (22 if count > 1 else 0)))
    for path, preset, runs in rows:
        medians = [round(statistics.median(run[key] for run in runs)) for key in CATEGORIES]
        benchmark = round(statistics.median(run["benchmark"] for run in runs))
        line = f"{path:<{width}}  {preset:<7}  " + "  ".join(f"{value:>4}" for value in medians) + f"  {benchmark:>15}"
        if count > 1:
            performance = [run["performance"] for run in runs]
            line += f"  (performance {min(performance)}-{max(performance)})"
        lines.append(line)
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
