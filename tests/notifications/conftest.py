import pytest
from django.utils import timezone

from notifications.models import Subscriber
from statuspage.celery import app as celery_app


@pytest.fixture
def eager():
    """Celery tasks run in-process when queued, so one test can follow a mail from request to outbox."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


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
