"""The beat's advance task on a real Celery worker, against PostgreSQL and Redis."""

from datetime import timedelta

import pytest
from django.utils import timezone

from maintenance import lifecycle
from maintenance.models import AuditEvent, Region, Window
from tests.integration.conftest import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_live_worker_starts_a_due_window_and_leaves_completion_to_a_person(celery_worker):
    from maintenance.tasks import advance_windows

    now = timezone.now()
    region = Region.objects.get(slug="japan")
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
