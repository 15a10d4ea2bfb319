import gc
import os
import sys
from pathlib import Path

from celery import Celery, signals
from celery.beat import PersistentScheduler
from django.core.exceptions import ImproperlyConfigured

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")

app = Celery("statuspage")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_configure.connect
def _settings_or_one_line(sender, **kwargs):
    """A worker or beat with a bad environment stops with one line naming the variable, not a traceback."""
    from django.conf import settings

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loading the settings is the point
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        raise SystemExit(2) from None


@app.on_after_configure.connect
def _make_filesystem_broker_folders(sender, source, **kwargs):
    """kombu's filesystem transport writes into folders it expects to exist (var/broker/ by default). Make them the
    first time this process needs the broker: a worker or beat starting, or a web process queueing a task."""
    if not str(source.broker_url).startswith("filesystem://"):
        return
    options = source.broker_transport_options or {}
    for key in ("data_folder_in", "data_folder_out", "control_folder"):
        if options.get(key):
            Path(options[key]).mkdir(parents=True, exist_ok=True)


class Scheduler(PersistentScheduler):
    """Celery's default beat scheduler, which also makes the folder of its schedule file (var/) when it opens it."""

    def setup_schedule(self):
        Path(self.schedule_filename).parent.mkdir(parents=True, exist_ok=True)
        super().setup_schedule()


def load_publisher():
    """Import the broker's transport and load the result backend, without connecting: what the first task a process
    publishes would otherwise load (about 0.15 s for Redis) while the news it announces waits. Web workers call it
    once they start (gunicorn.conf.py)."""
    app.amqp.producer_pool  # noqa: B018 - resolving the transport class is the point
    app.backend  # noqa: B018 - each publish makes a result handle, which loads the result backend
    app.events.Dispatcher  # noqa: B018 - and may tell the events dispatcher it was sent


@signals.worker_ready.connect  # the process that runs the tasks with --pool=solo or threads
@signals.worker_process_init.connect  # each process of the prefork pool, once forked
def settle(**kwargs):
    """Move what the worker made while starting (the app, Django, the broker's transport) out of the garbage
    collector's sight, as web workers do (gunicorn.conf.py): a full collection during a fan-out then walks only what
    the tasks made, instead of the whole process each time (about a twentieth of a one-process email fan-out's CPU,
    and 70-95 ms of each worker's in a webhook fan-out)."""
    gc.collect()
    gc.freeze()
