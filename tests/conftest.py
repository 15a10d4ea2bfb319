import os
from urllib.parse import urlparse

import pytest
from django.conf import settings


def _server_backed():
    """Why server-backed tests cannot run here, or None when PostgreSQL and a real broker are configured."""
    engine = settings.DATABASES["default"]["ENGINE"]
    broker = urlparse(settings.CELERY_BROKER_URL).scheme
    if "postgresql" not in engine:
        return "needs PostgreSQL: set DATABASE_URL=postgres://... (as .ci/run does)"
    if broker not in {"redis", "rediss", "amqp", "amqps"}:
        return "needs a Celery broker server: set CELERY_BROKER_URL=redis://... (as .ci/run does)"
    return None


def pytest_collection_modifyitems(config, items):
    reason = _server_backed()
    if reason is None:
        return
    if os.environ.get("OFFPEAK_REQUIRE_SERVICES") == "1":
        raise pytest.UsageError(f"OFFPEAK_REQUIRE_SERVICES=1 but the integration tests cannot run: {reason}")
    marker = pytest.mark.skip(reason=f"integration test {reason}")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(marker)


@pytest.fixture(autouse=True)
def fresh_cache():
    """Each test starts with an empty cache: rendered pages and rate-limit counters never leak between tests."""
    from django.core.cache import caches

    from statuspage import caching

    for cache in caches.all():
        cache.clear()
    caching.reset_fingerprint()
    yield
    for cache in caches.all():
        cache.clear()
    caching.reset_fingerprint()


@pytest.fixture
def regions(db):
    """The seed regions, loaded by the data migration."""
    from maintenance.models import Region

    return {region.slug: region for region in Region.objects.all()}


_flushed = False
DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences", "django_db_serialized_rollback"}


def _restore_migration_data():
    import importlib

    from django.apps import apps
    from django.contrib.auth.models import Group, Permission

    importlib.import_module("maintenance.migrations.0002_seed_regions").load(apps, None)
    managers = importlib.import_module("maintenance.migrations.0005_release_managers_group")
    group, _ = Group.objects.get_or_create(name=managers.GROUP)
    group.permissions.set(
        [Permission.objects.get(content_type__app_label=app, codename=code) for app, code in managers.PERMISSIONS]
    )


def _is_transactional(request):
    marker = request.node.get_closest_marker("django_db")
    return bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )


@pytest.fixture(autouse=True)
def seed_regions_after_flush(request, django_db_blocker):
    """A transactional test empties every table when it ends, the data of the data migrations included. The next
    test that uses the database gets that data back (the seed regions, the release managers' group), as every
    installation has it."""
    global _flushed
    if _flushed and (request.node.get_closest_marker("django_db") or DB_FIXTURES & set(request.fixturenames)):
        with django_db_blocker.unblock():
            _restore_migration_data()
        _flushed = False
    yield
    if _is_transactional(request):
        _flushed = True
