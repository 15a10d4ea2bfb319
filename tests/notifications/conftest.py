from datetime import UTC, datetime

import pytest
from django.core.cache import cache
from django.utils import timezone

from maintenance import planning
from maintenance.models import Window
from notifications.models import Subscriber
from statuspage.celery import app as celery_app

# Planning at NOW gives eu-frankfurt its November 2026 window: Saturday 28 November, 22:00 Berlin = 21:00 UTC.
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def eager():
    """Celery tasks run in-process when queued, so one test can follow a mail from request to outbox."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def window(db):
    planning.plan(NOW, 2)
    return Window.objects.select_related("region").get(region__slug="eu-frankfurt", month="2026-11-01")


@pytest.fixture
def make_subscriber(db, regions):
    def make(email="ada@example.com", region="eu-frankfurt", state=Subscriber.State.CONFIRMED, **fields):
        subscriber = Subscriber.objects.create(
            email=email,
            state=state,
            created_at=fields.pop("created_at", timezone.now()),
            confirmed_at=timezone.now() if state == Subscriber.State.CONFIRMED else None,
            **fields,
        )
        subscriber.regions.set([regions[region]] if isinstance(region, str) else [regions[r] for r in region])
        return subscriber

    return make
