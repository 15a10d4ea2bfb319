"""``GET /metrics``: Offpeak's health in Prometheus' text format, for the operator's own Prometheus.

Closed by default: a scrape gets in with ``Authorization: Bearer <METRICS_TOKEN>`` or from an address inside
``METRICS_ALLOWED_NETWORKS`` (REMOTE_ADDR; a proxy in front must be the one listed then).

Two kinds of figures:

- **From the database, at scrape time** (``DatabaseCollector``): windows, the next window's start, region
  state, open incidents, the outbox and the delivery counters. They are the same whichever process answers
  and survive restarts, because the rows are the truth. ``offpeak_deliveries_*_total`` count rows in a final
  state, so deleting a subscriber (whose rows go with it) looks like a counter reset to Prometheus.
- **Request latency per view** (``RequestLatencyMiddleware``): a prometheus-client histogram. Each gunicorn
  worker has its own memory, so with several workers set ``PROMETHEUS_MULTIPROC_DIR`` to an empty folder that
  is wiped before the server starts: prometheus-client then keeps the samples in files there and this view
  adds up every process's files (multiprocess mode). gunicorn.conf.py marks exited workers dead. Without the
  variable (one process, ``runserver``) the histogram lives in memory.
"""

import hmac
import ipaddress
import os
import time

from django.conf import settings
from django.db.models import Count, Min
from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET
from prometheus_client import CollectorRegistry, Histogram, generate_latest, multiprocess
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from maintenance.models import Incident, Region, Window
from maintenance.state import RegionState, region_states
from notifications.models import Delivery

# The classic text format, which every Prometheus since 2.0 reads.
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
LATENCY = Histogram(
    "offpeak_http_request_duration_seconds",
    "Time to answer an HTTP request, per Django view (the URL name).",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=None,
)


class RequestLatencyMiddleware:
    """Times every request and records it under its view's URL name ("unresolved" when no URL matched)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = (match.view_name or match._func_path) if match else "unresolved"
        method = request.method if request.method in ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE") else "other"
        LATENCY.labels(view=view, method=method).observe(time.perf_counter() - started)
        return response


class DatabaseCollector:
    """Gauges and counters worked out from the database when Prometheus scrapes."""

    def collect(self):
        now = timezone.now()
        regions = list(Region.objects.filter(active=True))

        windows = GaugeMetricFamily("offpeak_windows", "Windows by region and status.", labels=["region", "status"])
        counts = {
            (row["region__slug"], row["status"]): row["n"]
            for row in Window.objects.values("region__slug", "status").annotate(n=Count("id")).order_by()
        }
        for region in regions:
            for status in Window.Status.values:
                windows.add_metric([region.slug, status], counts.get((region.slug, status), 0))
        yield windows

        upcoming = GaugeMetricFamily(
            "offpeak_next_window_start_timestamp_seconds",
            "When each region's next window (not cancelled, not over) starts, as a Unix time.",
            labels=["region"],
        )
        starts = dict(
            Window.objects.upcoming(now)
            .filter(starts_at__gt=now)
            .values("region__slug")
            .annotate(first=Min("starts_at"))
            .order_by()
            .values_list("region__slug", "first")
        )
        for region in regions:
            if region.slug in starts:
                upcoming.add_metric([region.slug], starts[region.slug].timestamp())
        yield upcoming

        state = GaugeMetricFamily(
            "offpeak_region_state", "1 for each region's current state, 0 for the others.", labels=["region", "state"]
        )
        for region, current in region_states(now, Region.objects.filter(active=True)).items():
            for candidate in RegionState.values:
                state.add_metric([region.slug, candidate], 1 if candidate == current else 0)
        yield state

        incidents = GaugeMetricFamily("offpeak_incidents_open", "Unresolved incidents by impact.", labels=["impact"])
        open_counts = dict(
            Incident.objects.exclude(status=Incident.Status.RESOLVED)
            .values("impact")
            .annotate(n=Count("id"))
            .order_by()
            .values_list("impact", "n")
        )
        for impact in Incident.Impact.values:
            incidents.add_metric([impact], open_counts.get(impact, 0))
        yield incidents

        yield from self.outbox(now)

    def outbox(self, now):
        has_channel = any(f.name == "channel" for f in Delivery._meta.get_fields())
        fields = ["channel", "kind", "status"] if has_channel else ["kind", "status"]
        rows = GaugeMetricFamily(
            "offpeak_outbox_rows", "Outbox rows by channel, kind and status.", labels=["channel", "kind", "status"]
        )
        sent = CounterMetricFamily(
            "offpeak_deliveries_sent", "Deliveries handed to the transport, by channel.", labels=["channel"]
        )
        failed = CounterMetricFamily(
            "offpeak_deliveries_failed",
            "Deliveries given up on (permanent error or attempts exhausted).",
            labels=["channel"],
        )
        totals = {}
        for row in Delivery.objects.values(*fields).annotate(n=Count("id")).order_by():
            channel = row.get("channel", "email")
            rows.add_metric([channel, row["kind"], row["status"]], row["n"])
            key = (channel, row["status"])
            totals[key] = totals.get(key, 0) + row["n"]
        channels = sorted({channel for channel, _ in totals} | {"email"})
        for channel in channels:
            sent.add_metric([channel], totals.get((channel, Delivery.Status.SENT), 0))
            failed.add_metric([channel], totals.get((channel, Delivery.Status.FAILED), 0))
        yield rows
        yield sent
        yield failed

        oldest = Delivery.objects.filter(status=Delivery.Status.PENDING).aggregate(first=Min("created_at"))["first"]
        age = GaugeMetricFamily(
            "offpeak_outbox_oldest_pending_age_seconds", "Age of the oldest pending outbox row; 0 when none is pending."
        )
        age.add_metric([], max((now - oldest).total_seconds(), 0) if oldest else 0)
        yield age


def allowed(request):
    """True when the request carries the metrics token or comes from an allowed network."""
    token = settings.METRICS_TOKEN
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return True
    if settings.METRICS_ALLOWED_NETWORKS:
        try:
            address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        address = getattr(address, "ipv4_mapped", None) or address
        return any(address in network for network in settings.METRICS_ALLOWED_NETWORKS)
    return False


@require_GET
def metrics(request):
    if not settings.METRICS_TOKEN and not settings.METRICS_ALLOWED_NETWORKS:
        return HttpResponse(
            "The metrics endpoint is closed: set METRICS_TOKEN or METRICS_ALLOWED_NETWORKS.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    if not allowed(request):
        response = HttpResponse(
            "Send Authorization: Bearer <METRICS_TOKEN>, or scrape from a network in METRICS_ALLOWED_NETWORKS.\n",
            status=401 if settings.METRICS_TOKEN else 403,
            content_type="text/plain; charset=utf-8",
        )
        if settings.METRICS_TOKEN:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    registry = CollectorRegistry()
    registry.register(DatabaseCollector())
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(LATENCY)
    response = HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
