from datetime import UTC, datetime, time

import pytest
import time_machine
from django.core.management import call_command

from maintenance import planning, rule
from maintenance.models import Freeze, Region, Window
from tests.conftest import NOW


def test_seed_regions_are_loaded_with_staggered_windows_that_never_overlap(regions):
    assert set(regions) == {"us", "eu-ireland", "eu-frankfurt", "australia", "singapore", "japan", "india"}
    assert regions["us"].timezone == "America/New_York"
    assert regions["eu-ireland"].timezone == "Europe/Dublin"
    assert regions["eu-frankfurt"].timezone == "Europe/Berlin"
    assert regions["australia"].timezone == "Australia/Sydney"
    assert regions["singapore"].timezone == "Asia/Singapore"
    assert regions["japan"].timezone == "Asia/Tokyo"
    assert regions["india"].timezone == "Asia/Kolkata"
    for year in range(2026, 2036):
        for month in range(1, 13):
            slots = sorted((r.slot(rule.Month(year, month)) for r in regions.values()), key=lambda s: s.starts_at)
            for earlier, later in zip(slots, slots[1:], strict=False):
                assert earlier.ends_at <= later.starts_at, (year, month)


@pytest.mark.django_db
def test_plan_creates_one_window_per_region_and_month_from_the_current_month():
    report = planning.plan(NOW, 12)
    assert len(report.created) == 7 * 12
    frankfurt = Window.objects.filter(region__slug="eu-frankfurt").order_by("starts_at")
    assert [str(rule.Month.of(w.month)) for w in frankfurt][:2] == ["2026-11", "2026-12"]
    first = frankfurt.first()
    assert (first.starts_at, first.ends_at) == (
        datetime(2026, 11, 28, 21, tzinfo=UTC),
        datetime(2026, 11, 28, 22, tzinfo=UTC),
    )
    assert first.status == Window.Status.PLANNED and first.origin == Window.Origin.RULE and first.sequence == 0


@pytest.mark.django_db
def test_plan_twice_creates_nothing_the_second_time():
    planning.plan(NOW, 12)
    before = list(Window.objects.values_list("id", "starts_at", "ends_at", "updated_at").order_by("id"))
    report = planning.plan(NOW, 12)
    assert report.created == []
    assert report.unchanged == 7 * 12
    assert list(Window.objects.values_list("id", "starts_at", "ends_at", "updated_at").order_by("id")) == before


@pytest.mark.django_db
def test_plan_leaves_hand_edited_and_announced_windows_alone():
    planning.plan(NOW, 2)
    Region.objects.filter(slug="japan").update(offpeak_start=time(3, 0))
    edited = Window.objects.get(region__slug="japan", month="2026-11-01")
    Window.objects.filter(pk=edited.pk).update(
        starts_at=datetime(2026, 11, 28, 15, tzinfo=UTC),
        ends_at=datetime(2026, 11, 28, 15, 30, tzinfo=UTC),
        edited_by_hand=True,
    )
    announced = Window.objects.get(region__slug="japan", month="2026-12-01")
    Window.objects.filter(pk=announced.pk).update(status=Window.Status.SCHEDULED)

    report = planning.plan(NOW, 2)

    assert report.created == []
    edited.refresh_from_db()
    announced_after = Window.objects.get(pk=announced.pk)
    assert (edited.starts_at, edited.ends_at) == (
        datetime(2026, 11, 28, 15, tzinfo=UTC),
        datetime(2026, 11, 28, 15, 30, tzinfo=UTC),
    )
    assert (announced_after.starts_at, announced_after.status) == (announced.starts_at, Window.Status.SCHEDULED)
    reasons = {(r.slug, str(m)): why for r, m, why in report.skipped}
    assert reasons[("japan", "2026-11")] == "window was edited by hand"
    assert reasons[("japan", "2026-12")] == "window is scheduled"


@pytest.mark.django_db
def test_plan_skips_frozen_months_per_region_and_for_all():
    Freeze.objects.create(month="2026-12-01", region=Region.objects.get(slug="india"), reason="Year-end freeze")
    Freeze.objects.create(month="2027-01-01", region=None)
    report = planning.plan(NOW, 3)
    assert not Window.objects.filter(region__slug="india", month="2026-12-01").exists()
    assert Window.objects.filter(month="2026-12-01").count() == 6
    assert not Window.objects.filter(month="2027-01-01").exists()
    assert sum(1 for _, _, why in report.skipped if why == "frozen") == 1 + 7


@pytest.mark.django_db
def test_plan_skips_inactive_regions_and_months_already_past():
    Region.objects.filter(slug="us").update(active=False)
    late = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # Frankfurt's and Ireland's November windows have begun
    report = planning.plan(late, 1)
    assert not Window.objects.filter(region__slug="us").exists()
    assert {(r.slug, str(m), why) for r, m, why in report.skipped} >= {
        ("eu-frankfurt", "2026-11", "already past"),
        ("eu-ireland", "2026-11", "already past"),
    }
    assert not Window.objects.filter(region__slug__in=["eu-frankfurt", "eu-ireland"], month="2026-11-01").exists()
    assert report.created == []  # every active region's November window has begun by then
    assert "us" not in {region.slug for region, _, _ in report.skipped}  # an inactive region is not planned at all


@pytest.mark.django_db
def test_rule_window_is_unique_per_region_and_month():
    from django.db import IntegrityError, transaction

    planning.plan(NOW, 1)
    existing = Window.objects.filter(region__slug="us").first()
    with pytest.raises(IntegrityError), transaction.atomic():
        Window.objects.create(
            region=existing.region,
            month=existing.month,
            origin=Window.Origin.RULE,
            starts_at=existing.starts_at,
            ends_at=existing.ends_at,
        )
    # A window added by hand in the same month is allowed.
    Window.objects.create(
        region=existing.region,
        month=existing.month,
        origin=Window.Origin.MANUAL,
        starts_at=existing.starts_at,
        ends_at=existing.ends_at,
    )


@pytest.mark.django_db
def test_plan_windows_command_prints_what_it_created_and_skipped(capsys):
    Freeze.objects.create(month="2026-12-01", region=Region.objects.get(slug="japan"))
    with time_machine.travel(NOW, tick=False):
        call_command("plan_windows", "--months", "2")
        first = capsys.readouterr().out
        call_command("plan_windows", "--months", "2")
        second = capsys.readouterr().out
    assert "created  japan          2026-11  2026-11-28 13:00 UTC" in first
    assert "skipped  japan          2026-12  frozen" in first
    assert first.strip().endswith("13 created, 1 skipped, 0 already planned.")
    assert "created" not in second.replace("0 created", "")
    assert second.strip().endswith("0 created, 1 skipped, 13 already planned.")


@pytest.mark.django_db
@pytest.mark.parametrize("months", ["0", "121", "twelve", "-3"])
def test_plan_windows_command_rejects_bad_months(months):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="--months must be a whole number from 1 to 120") as info:
        call_command("plan_windows", "--months", months)
    assert info.value.returncode == 2
    assert Window.objects.count() == 0
