"""gunicorn settings for Offpeak. Every value can be overridden by the environment (WEB_* variables)."""

import gc
import os
import sys

from gunicorn.glogging import Logger

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the project, before gunicorn's chdir adds it
from notifications.logs import redact  # noqa: E402 - a pure module, safe before Django is set up

bind = os.environ.get("WEB_BIND", "0.0.0.0:" + os.environ.get("PORT", "8000"))
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1))
threads = int(os.environ.get("WEB_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("WEB_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycling a worker costs a cold start in the middle of traffic; it is off unless WEB_MAX_REQUESTS asks for it.
max_requests = int(os.environ.get("WEB_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
preload_app = False
accesslog = os.environ.get("WEB_ACCESS_LOG", "-")


class RedactingLogger(Logger):
    """gunicorn's logger, with signed subscription links cut out of every access-log value (path, request line,
    referrer, headers): the log keeps the path, ``/subscription/confirm/[token]/``, never the token."""

    def atoms(self, resp, req, environ, request_time):
        return {name: redact(value) for name, value in super().atoms(resp, req, environ, request_time).items()}


logger_class = RedactingLogger
errorlog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def on_starting(server):
    """Refuse to start, with one line naming the variable, when the environment is incomplete."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "statuspage.settings")
    from django.conf import settings
    from django.core.exceptions import ImproperlyConfigured

    try:
        settings.INSTALLED_APPS  # noqa: B018 - loading the settings is the point
    except ImproperlyConfigured as exc:
        sys.stderr.write(f"Configuration error: {exc}\n")
        os._exit(2)


def post_worker_init(worker):
    """Once the app and its URLs (every view module) are loaded, move everything they made out of the garbage
    collector's sight: a full collection then walks only what requests made, instead of stopping the worker for
    tens of milliseconds in the middle of traffic, and the renders spend less time collecting."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - importing the views is the point
    from statuspage.celery import load_publisher

    load_publisher()  # the first incident's nudges to the workers leave without importing the broker's transport
    gc.collect()
    gc.freeze()
    # A thread waiting for the interpreter lock gets it after 1 ms instead of 5: a request answered from the page
    # cache beside a render in another thread of the worker then waits about a millisecond per step, not five (in
    # one process beside a render loop: 2.3 times as many such requests answered, the slowest in 14 ms, not 119).
    sys.setswitchinterval(0.001)


def child_exit(server, worker):
    """In prometheus-client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, see statuspage/metrics.py), drop the
    live figures of a worker that has exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
