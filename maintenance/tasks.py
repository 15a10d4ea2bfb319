from celery import shared_task
from django.conf import settings
from django.utils import timezone

from maintenance import planning


@shared_task(name="maintenance.tasks.plan_windows")
def plan_windows(months=None):
    """Plan the windows of the coming months; returns how many were created."""
    report = planning.plan(timezone.now(), months or settings.PLAN_MONTHS_AHEAD)
    return len(report.created)
