"""Fault tests: the app and a live worker on servers of the test's own, which the test stops and restarts."""

import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections import Counter
from pathlib import Path

import pytest

from tests.faults.servers import PrivatePostgres, PrivateRedis, postgres_available
from tests.integration.conftest import ROOT


@pytest.fixture
def private_redis(tmp_path):
    folder = tmp_path / "redis"
    folder.mkdir()
    redis = PrivateRedis(folder).start()
    yield redis
    redis.stop()


@pytest.fixture
def private_postgres():
    if not postgres_available():
        pytest.fail("PostgreSQL's server programs (initdb, pg_ctl) are needed for the database fault test")
    # A folder directly under /tmp: the cluster runs as the postgres user, who cannot enter pytest's root-only tmp.
    folder = tempfile.mkdtemp(prefix="offpeak-pg-")
    server = PrivatePostgres(folder)
    try:
        yield server.start()
    finally:
        server.stop()
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def mail_record(tmp_path):
    """Where the RecordingBackend of the worker writes one line per message handed over."""
    path = tmp_path / "sent.log"
    path.touch()

    def sent():
        return Counter(line.split(" ", 1)[1] for line in path.read_text().splitlines() if line)

    sent.path = path
    return sent


@pytest.fixture
def queue():
    return f"offpeak-fault-{uuid.uuid4().hex[:12]}"


def worker_env(queue, record_path, **extra):
    """What the live worker of a fault test runs with: a private queue, mail recorded to a file, short leases."""
    return {
        "NOTIFY_QUEUE": queue,
        "EMAIL_BACKEND": "notifications.backends.RecordingBackend",
        "EMAIL_RECORD_FILE": str(record_path),
        "DELIVERY_LEASE_SECONDS": "3",
        "DELIVERY_CHUNK_SIZE": "25",
        "LOG_LEVEL": "INFO",
        **extra,
    }


def run_app(code, env, timeout=120):
    """Run ``code`` in a separate application process (``manage.py shell``) with ``env`` over the environment."""
    full = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", **env}
    result = subprocess.run(
        [sys.executable, str(Path(ROOT) / "manage.py"), "shell", "-c", code],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"app process failed:\n{result.stdout}\n{result.stderr}"
    return result
