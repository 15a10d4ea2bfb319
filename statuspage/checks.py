"""System checks for a deployment that would run but not hold its promises."""

import os

from django.conf import settings
from django.core import checks

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def web_workers():
    """How many web worker processes gunicorn starts: WEB_CONCURRENCY, or its default as gunicorn.conf.py says."""
    raw = os.environ.get("WEB_CONCURRENCY", "").strip()
    try:
        return int(raw) if raw else 2 * (os.cpu_count() or 1) + 1
    except ValueError:
        return 2 * (os.cpu_count() or 1) + 1


@checks.register(checks.Tags.caches)
def per_process_cache(app_configs=None, **kwargs):
    """The rate limits and the page counter live in the default cache: per-process memory splits them per worker."""
    if settings.CACHES["default"]["BACKEND"] != LOCMEM:
        return []
    workers = web_workers()
    if workers <= 1:
        return []
    return [
        checks.Warning(
            f"CACHE_URL=locmem:// keeps the cache in each process's memory, but {workers} web workers run "
            "(WEB_CONCURRENCY): every worker counts its own rate limits, so each limit is multiplied by the number "
            "of workers, and pages changed by another process show late.",
            hint="Leave CACHE_URL unset (the database cache) or use redis://; or set WEB_CONCURRENCY=1.",
            id="statuspage.W001",
        )
    ]
