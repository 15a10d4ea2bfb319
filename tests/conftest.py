"""The fixtures the whole suite shares: the instant the tests call "now", a clock frozen there, the seed regions,
the eu-frankfurt November window, a release manager, and an empty cache for every test."""

import os
from datetime import UTC, datetime
from urllib.parse import urlparse

import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.cache import caches
from django.utils import translation

from endpoints import outbox
from maintenance import planning
from maintenance.models import Region, Window
from statuspage import caching

# A Tuesday. Planning at NOW gives eu-frankfurt its November 2026 window: Saturday 28 November, 22:00 Berlin =
# 21:00 UTC; the other regions' November windows fall on the same Saturday.
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _server_backed():
    """Why server-backed tests cannot run here, or None when PostgreSQL and a real broker are configured."""
    engine = settings.DATABASES["default"]["ENGINE"]
    broker = urlparse(settings.CELERY_BROKER_URL).scheme
    if "postgresql" not in engine:
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (as .ci/run does)"
    if broker not in {"redis", "rediss", "amqp", "amqps"}:
        return "needs a Celery broker server: set CELERY_BROKER_URL=redis://... (as .ci/run does)"
    return None


def _flushes_without_restoring(item):
    """A transactional test empties every table when it ends. With pytest-django's serialized rollback, each one
    starts with the data migrations' rows (the seed regions, the release managers' group) put back. Every such test
    asks for it the same way, with the marker: a ``django_db`` marker without ``serialized_rollback=True`` stops
    pytest-django from saving those rows when it creates the test database, whatever fixtures the test asks for."""
    marker = item.get_closest_marker("django_db")
    fixtures = set(getattr(item, "fixturenames", ()))
    transactional = (marker and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & fixtures
    return transactional and not (marker and marker.kwargs.get("serialized_rollback"))


def pytest_collection_modifyitems(config, items):
    unrestored = [item.nodeid for item in items if _flushes_without_restoring(item)]
    if unrestored:
        raise pytest.UsageError(
            "a transactional test needs @pytest.mark.django_db(transaction=True, serialized_rollback=True): "
            + ", ".join(unrestored)
        )
    reason = _server_backed()
    if reason is None:
        return
    if os.environ.get("OFFPEAK_REQUIRE_SERVICES") == "1":
        raise pytest.UsageError(f"OFFPEAK_REQUIRE_SERVICES=1 but the integration tests cannot run: {reason}")
    marker = pytest.mark.skip(reason=f"integration test {reason}")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(marker)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database, and before it is dropped, no session of another process left on it.

    A server or worker a test started may still hold a connection for a moment after the test; on PostgreSQL that
    makes DROP DATABASE fail and would leave this run's test database behind on the server.
    """
    yield
    from django.db import connection

    if connection.vendor == "postgresql":
        with django_db_blocker.unblock(), connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: rendered pages, rate-limit counters and built webhook payloads never leak
    between tests (a rolled-back test's ids and frozen times come again in the next)."""
    for cache in caches.all():
        cache.clear()
    caching.reset_fingerprint()
    outbox.built.clear()
    yield
    for cache in caches.all():
        cache.clear()
    caching.reset_fingerprint()
    outbox.built.clear()


@pytest.fixture(autouse=True)
def site_language():
    """Each test starts in the site's language: a request in Japanese leaves Japanese active in its thread."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def clock():
    """Time stands still at NOW; ``clock.move_to(instant)`` moves it."""
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def regions(db):
    """The seed regions, loaded by the data migration."""
    return {region.slug: region for region in Region.objects.all()}


@pytest.fixture
def window(db):
    """The planned eu-frankfurt window of November 2026 (2026-11-28 21:00–22:00 UTC)."""
    planning.plan(NOW, 2)
    return Window.objects.select_related("region").get(region__slug="eu-frankfurt", month="2026-11-01")


@pytest.fixture
def manager(db):
    """A release manager: in the group the data migration creates, with staff status so the admin lets them in."""
    user = User.objects.create_user("release-manager", email="release-manager@example.com", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Release managers"))
    return user
