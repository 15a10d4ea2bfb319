"""A real Celery worker, in its own process, on the broker and database the tests use."""

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url():
    db = settings.DATABASES["default"]
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return (
        f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{connection.settings_dict['NAME']}"
    )


class Worker:
    """A ``celery worker`` subprocess consuming one private queue."""

    def __init__(self, queue, log_path):
        self.queue = queue
        self.log_path = log_path
        self.process = None

    def start(self, concurrency=1, env=None):
        """Start the worker; ``env`` overrides the environment (another database or broker, for example)."""
        env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url(), **(env or {})}
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "statuspage",
                "worker",
                "--pool=prefork",
                f"--concurrency={concurrency}",
                "-Q",
                self.queue,
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel=INFO",
                f"--hostname={self.queue}@%h",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def kill(self):
        """SIGKILL the whole worker, parent and children, as a crash would."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self):
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()

    def output(self):
        return Path(self.log_path).read_text(errors="replace")

    def ready(self):
        """True once the worker consumes its queue."""
        return " ready." in self.output()


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    worker = Worker(f"offpeak-test-{uuid.uuid4().hex[:12]}", tmp_path / "worker.log").start()
    yield worker
    worker.stop()


def wait_until(predicate, timeout=60, worker=None, interval=0.2):
    """Poll ``predicate`` until it is true; fail with the worker's log after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    log = worker.output()[-4000:] if worker else ""
    pytest.fail(f"condition not met within {timeout}s\n--- worker log ---\n{log}")
