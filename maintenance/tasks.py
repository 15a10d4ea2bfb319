from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from maintenance import planning


@shared_task(name="maintenance.tasks.plan_windows")
def plan_windows(months=None):
    """Plan the windows of the coming months; returns how many were created."""
    report = planning.plan(timezone.now(), months or settings.PLAN_MONTHS_AHEAD)
    return len(report.created)


@shared_task(name="maintenance.tasks.advance_windows")
def advance_windows():
    """Start and complete the windows whose time has come; returns how many moved."""
    from maintenance import lifecycle

    return sum(1 for outcome in lifecycle.advance() if outcome.changed)


@shared_task(name="maintenance.tasks.purge_idempotency_keys")
def purge_idempotency_keys():
    """Forget pipeline Idempotency-Keys older than IDEMPOTENCY_KEY_HOURS; returns how many."""
    from maintenance.models import IdempotencyKey

    cutoff = timezone.now() - timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted


@shared_task(name="maintenance.tasks.check_zone_rules")
def check_zone_rules():
    """Follow new time-zone rules: move planned windows, flag announced ones to release managers by email.

    Returns how many windows moved and how many were newly flagged; a second run the same day does neither again.
    """
    from maintenance import zonerules

    report = zonerules.check()
    zonerules.notify_managers(report.flagged)
    return {"moved": len(report.moved), "flagged": len(report.flagged)}
