"""Everything a run writes goes under var/ (OFFPEAK_VAR_DIR): nothing lands in the checkout.

A fresh var/ folder outside the checkout, the default SQLite database and the default filesystem broker, as
`make run` uses them: migrate, plan the windows, render the status page and queue a task, then a real Celery worker
runs the task and beat starts. Before and after, every file and folder of the checkout outside var/ is listed; the
two lists must be equal, and the run's files must be in the var/ folder it was given.
"""

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from tests import shell

# Written by Python and by the tools around the tests, never by the app.
NOT_THE_APP = {".git", ".venv", "node_modules", "__pycache__", "var"}

RENDER_AND_QUEUE = """
import django
django.setup()
from django.test import Client
from maintenance.tasks import advance_windows
response = Client().get("/")
assert response.status_code == 200, response.status_code
advance_windows.delay()
"""


def checkout_files():
    """Every folder and file of the checkout outside var/, with each file's modification time and size."""
    found = {}
    for folder, subfolders, files in os.walk(shell.ROOT):
        subfolders[:] = [name for name in subfolders if name not in NOT_THE_APP]
        found[os.path.relpath(folder, shell.ROOT)] = "folder"
        for name in files:
            path = os.path.join(folder, name)
            stat = os.stat(path)
            found[os.path.relpath(path, shell.ROOT)] = (stat.st_mtime_ns, stat.st_size)
    return found


def environment(var):
    """The environment of `make run`, except that var/ is the test's own: the default database and broker."""
    base = {k: v for k, v in os.environ.items() if k not in shell.DECIDED_BY_THE_TEST}
    # Empty means the default: SQLite in var/ and kombu's filesystem transport in var/broker/, even on CI.
    return {**base, "OFFPEAK_VAR_DIR": str(var), "DEBUG": "1", "DATABASE_URL": "", "CELERY_BROKER_URL": ""}


def run(env, *args):
    result = subprocess.run(
        [sys.executable, *args], cwd=shell.ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def start(env, log, *args):
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "statuspage", *args, "--loglevel=INFO"],
        cwd=shell.ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def wait_for(process, done, what, timeout=90):
    deadline = time.monotonic() + timeout
    while not done():
        assert process.poll() is None, f"{what} exited with {process.returncode}"
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout} s"
        time.sleep(0.2)


def stop(process):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_importing_the_settings_writes_nothing(tmp_path):
    var = tmp_path / "var"
    before = checkout_files()
    run(environment(var), "-c", "import statuspage.settings")
    assert not var.exists()
    assert checkout_files() == before


@pytest.mark.slow
def test_a_run_writes_only_under_var(tmp_path):
    var = tmp_path / "var"
    env = environment(var)
    before = checkout_files()

    run(env, "manage.py", "migrate", "--noinput", "--verbosity=0")
    assert run(env, "manage.py", "plan_windows").strip().endswith(" skipped, 0 already planned.")
    run({**env, "DJANGO_SETTINGS_MODULE": "statuspage.settings", "ALLOWED_HOSTS": "testserver"}, "-c", RENDER_AND_QUEUE)
    assert len(list((var / "broker" / "queue").iterdir())) == 1

    worker_log, beat_log = tmp_path / "worker.log", tmp_path / "beat.log"
    with open(worker_log, "w") as log:
        worker = start(env, log, "worker", "--pool=solo")
        try:
            ran = re.compile(r"Task maintenance\.tasks\.advance_windows\[[0-9a-f-]+\] succeeded")
            wait_for(worker, lambda: ran.search(worker_log.read_text()), "the worker running the task")
        finally:
            stop(worker)
    with open(beat_log, "w") as log:
        beat = start(env, log, "beat")
        try:
            wait_for(beat, lambda: list(var.glob("celerybeat-schedule*")), "beat opening its schedule")
        finally:
            stop(beat)

    after = checkout_files()
    assert sorted(set(after) - set(before)) == []
    assert sorted(path for path in before if after.get(path) != before[path]) == []
    assert (var / "offpeak.sqlite3").is_file()
    assert sorted(path.name for path in (var / "broker" / "control").iterdir()) == [
        "celery.exchange",
        "celery.pidbox.exchange",
    ]
    assert list((var / "broker" / "queue").iterdir()) == []


@pytest.mark.slow
def test_beat_makes_the_folder_of_its_schedule_whatever_the_broker(tmp_path):
    from statuspage.celery import Scheduler, app

    schedule = tmp_path / "var" / "celerybeat-schedule"
    scheduler = Scheduler(app=app, schedule_filename=str(schedule))
    try:
        assert schedule.parent.is_dir()
        assert list(schedule.parent.glob("celerybeat-schedule*"))
    finally:
        scheduler.close()
