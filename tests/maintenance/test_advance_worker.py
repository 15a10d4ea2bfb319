"""The beat's advance task on a real Celery worker, against PostgreSQL and Redis."""

from datetime import time, timedelta

import pytest
from django.utils import timezone

from maintenance import lifecycle
from maintenance.models import AuditEvent, Region, Window
from tests.integration.conftest import celery_worker, wait_until  # noqa: F401 - the fixture lives there

pytestmark = pytest.mark.integration


def test_live_worker_starts_a_due_window_and_leaves_completion_to_a_person(celery_worker):  # noqa: F811
    from maintenance.tasks import advance_windows

    now = timezone.now()
    # A transactional test before this one may have flushed the seed regions: bring the one we need.
    region, _ = Region.objects.get_or_create(
        slug="japan", defaults={"name": "Japan", "timezone": "Asia/Tokyo", "offpeak_start": time(22, 0)}
    )
    due = Window.objects.create(
        region=region,
        month=now.date().replace(day=1),
        starts_at=now + timedelta(minutes=1),
        ends_at=now + timedelta(minutes=2),
    )
    lifecycle.announce(due, now=now)
    # The start has come (and the window's end too): the worker starts it, but never completes it by itself.
    Window.objects.filter(pk=due.pk).update(starts_at=now - timedelta(minutes=2), ends_at=now - timedelta(minutes=1))
    advance_windows.apply_async(queue=celery_worker.queue)
    wait_until(lambda: Window.objects.get(pk=due.pk).status == Window.Status.IN_PROGRESS, worker=celery_worker)
    event = AuditEvent.objects.get(window=due, action="start")
    assert event.actor_label == "schedule"
    advance_windows.apply_async(queue=celery_worker.queue)
    wait_until(lambda: celery_worker.output().count("succeeded") >= 2, worker=celery_worker)
    assert Window.objects.get(pk=due.pk).status == Window.Status.IN_PROGRESS
