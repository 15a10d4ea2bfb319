"""Request latency under gunicorn with several workers: prometheus-client's multiprocess mode adds up every
worker's samples, those of workers that have since been replaced included."""

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests import shell
from tests.faults.servers import free_port, wait_for_port

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]


def children(pid):
    found = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True).stdout
    return {int(line) for line in found.split()}


def get(url, token=None):
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def region_list_count(text):
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "offpeak_http_request_duration_seconds_count" and sample.labels == {
                "view": "region-list",
                "method": "GET",
            }:
                return sample.value
    return 0


def test_latency_counts_every_request_across_workers_and_restarts(tmp_path):
    env = {
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "OFFPEAK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "CELERY_BROKER_URL": "filesystem://",
        "CACHE_URL": "locmem://",
        "METRICS_TOKEN": "scrape",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "WEB_CONCURRENCY": "2",
        "WEB_THREADS": "1",
    }
    (tmp_path / "prometheus").mkdir()
    migrated = shell.run("manage.py", "migrate", "--noinput", **env, timeout=300)
    assert migrated.returncode == 0, migrated.stderr
    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 - closed below
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}", "statuspage.wsgi"],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for_port(port, timeout=60)
        for _ in range(10):
            get(f"{base}/api/v1/regions/")
        first = children(server.pid)
        assert len(first) == 2
        server.send_signal(signal.SIGHUP)  # gunicorn replaces every worker
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and (children(server.pid) & first or len(children(server.pid)) != 2):
            time.sleep(0.2)
        assert not children(server.pid) & first, "the workers were not replaced"
        for _ in range(10):
            get(f"{base}/api/v1/regions/")
        assert region_list_count(get(f"{base}/metrics", "scrape")) == 20
        assert len(list((tmp_path / "prometheus").glob("histogram_*.db"))) >= 2
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
