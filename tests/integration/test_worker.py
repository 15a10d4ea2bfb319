import pytest
from django.utils import timezone

from maintenance import rule
from maintenance.models import Region, Window
from maintenance.tasks import plan_windows
from tests.integration.conftest import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_live_worker_plans_windows_over_the_broker(celery_worker):
    assert Window.objects.count() == 0
    plan_windows.apply_async(kwargs={"months": 2}, queue=celery_worker.queue)

    def next_month_planned_everywhere():
        return Window.objects.filter(month=rule.Month.of(timezone.now()).next().first_day).count() == 7

    wait_until(next_month_planned_everywhere, worker=celery_worker)
    assert "maintenance.tasks.plan_windows" in celery_worker.output()
    assert set(Window.objects.values_list("region__slug", flat=True)) == set(
        Region.objects.values_list("slug", flat=True)
    )
