"""The data the status page is measured with, and a cold-render CPU meter.

The data is the one the page's goals are stated for: the seed regions, about 111 windows (16 months planned from
95 days ago, the past ones run) and 50 resolved incidents of one hour each over the last 85 days, each in one to
seven regions. ``cold_render_ms`` times the CPU (``time.process_time``) of Django's test client fetching a path
with every cache emptied first, so each request renders the page from the database.

    .venv/bin/python -m pytest tests/statuspage/test_page_cost.py -q -s -m slow   # prints the median of 20
"""

import statistics
import time
from datetime import timedelta

from django.core.cache import caches

from maintenance import lifecycle, planning
from maintenance.models import Incident, Region, Window
from statuspage import caching

INCIDENTS = 50
INCIDENT_DAYS = 85


def load_page_data(now):
    """Windows from 95 days before ``now`` to a year ahead (the past ones run) and 50 incidents of one hour."""
    planning.plan(now - timedelta(days=95), 16)
    for window in Window.objects.filter(starts_at__lt=now).order_by("starts_at"):
        lifecycle.announce(window, "bench", now=window.starts_at - timedelta(days=7))
        lifecycle.start(window, "bench", now=window.starts_at)
        lifecycle.complete(window, "bench", now=window.ends_at)
    regions = list(Region.objects.order_by("position"))
    for n in range(INCIDENTS):
        started = now - timedelta(hours=2 + n * INCIDENT_DAYS * 24 // INCIDENTS)
        incident = Incident.objects.create(
            title=f"Incident {n}",
            impact=list(Incident.Impact)[n % 3],
            status=Incident.Status.RESOLVED,
            started_at=started,
            resolved_at=started + timedelta(hours=1),
        )
        incident.regions.set(regions[: 1 + n % len(regions)])


def empty_caches():
    for cache in caches.all():
        cache.clear()
    caching.reset_fingerprint()


def cold_render_ms(client, path="/", runs=20):
    """Each run's CPU milliseconds for an uncached GET of ``path`` (the caches emptied before each)."""
    figures = []
    for _ in range(runs):
        empty_caches()
        start = time.process_time()
        response = client.get(path)
        figures.append((time.process_time() - start) * 1000)
        assert response.status_code == 200
    return figures


def median_ms(figures):
    return statistics.median(figures)
