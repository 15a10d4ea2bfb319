from datetime import UTC, date, datetime, time

import pytest
import time_machine
from django.core.management import call_command

from maintenance import lifecycle, planning, rule
from maintenance.models import AuditEvent, Freeze, Region, Window
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


@pytest.mark.django_db
def test_freeze_cancels_the_planned_windows_of_its_month_in_its_region_only(admin_user):
    planning.plan(NOW, 2)
    frankfurt = Region.objects.get(slug="eu-frankfurt")
    outcomes = planning.freeze(Freeze(month=date(2026, 12, 1), region=frankfurt, reason="Year-end"), admin_user, NOW)
    window = Window.objects.get(region=frankfurt, month="2026-12-01")
    assert [(o.window.pk, o.cancelled, o.message) for o in outcomes] == [
        (window.pk, True, f"{window}: cancelled, the month is frozen.")
    ]
    assert window.status == Window.Status.CANCELLED
    assert Freeze.objects.get().reason == "Year-end"
    event = AuditEvent.objects.get(window=window)
    assert (event.action, event.actor, event.reason) == ("cancel", admin_user, "Month frozen: 2026-12 (EU (Frankfurt))")
    others = Window.objects.exclude(pk=window.pk).values_list("status", flat=True)
    assert set(others) == {Window.Status.PLANNED}


@pytest.mark.django_db
def test_freeze_for_all_regions_leaves_announced_running_and_finished_windows_to_a_person():
    planning.plan(NOW, 1)
    november = {w.region.slug: w for w in Window.objects.select_related("region").filter(month="2026-11-01")}
    lifecycle.announce(november["us"], now=NOW)
    lifecycle.start(november["japan"], now=NOW, force=True, reason="test")
    lifecycle.complete(november["japan"], now=NOW)
    lifecycle.start(november["india"], now=NOW, force=True, reason="test")
    lifecycle.cancel(november["australia"], now=NOW)
    outcomes = planning.freeze(Freeze(month=date(2026, 11, 1)), now=NOW)
    left = {o.window.region.slug: o.message for o in outcomes if not o.cancelled}
    assert left == {
        slug: f"{november[slug]} is already announced or running; cancel it yourself if it must not happen."
        for slug in ("us", "india")
    }
    assert sorted(o.window.region.slug for o in outcomes if o.cancelled) == ["eu-frankfurt", "eu-ireland", "singapore"]
    statuses = dict(Window.objects.filter(month="2026-11-01").values_list("region__slug", "status"))
    assert statuses == {
        "us": "scheduled",
        "japan": "completed",
        "india": "in_progress",
        "australia": "cancelled",
        "eu-frankfurt": "cancelled",
        "eu-ireland": "cancelled",
        "singapore": "cancelled",
    }
    assert Freeze.objects.get().region is None


@pytest.mark.django_db
def test_a_frozen_month_is_not_planned_again_after_freeze():
    planning.plan(NOW, 2)
    planning.freeze(Freeze(month=date(2026, 12, 1)), now=NOW)
    report = planning.plan(NOW, 2)
    assert report.created == []
    assert Window.objects.filter(month="2026-12-01").exclude(status=Window.Status.CANCELLED).count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("months_ahead", [1, 3])
def test_plan_windows_command_plans_plan_months_ahead_without_months(settings, capsys, months_ahead):
    settings.PLAN_MONTHS_AHEAD = months_ahead
    with time_machine.travel(NOW, tick=False):
        call_command("plan_windows")
    assert capsys.readouterr().out.strip().endswith(f"{7 * months_ahead} created, 0 skipped, 0 already planned.")
    assert (
        sorted({str(rule.Month.of(month)) for month in Window.objects.values_list("month", flat=True)})
        == [
            "2026-11",
            "2026-12",
            "2027-01",
        ][:months_ahead]
    )


@pytest.mark.django_db
def test_plan_windows_command_months_overrides_plan_months_ahead(settings, capsys):
    settings.PLAN_MONTHS_AHEAD = 3
    with time_machine.travel(NOW, tick=False):
        call_command("plan_windows", "--months", "2")
    assert capsys.readouterr().out.strip().endswith("14 created, 0 skipped, 0 already planned.")


# --- freezes say what they will do, and can be lifted -----------------------------------------------


@pytest.mark.django_db
def test_preview_says_what_a_freeze_would_do_and_changes_nothing():
    planning.plan(NOW, 1)
    us = Window.objects.get(region__slug="us", month="2026-11-01")
    lifecycle.announce(us, now=NOW)
    outcomes = planning.preview(Freeze(month=date(2026, 11, 1)))
    assert len(outcomes) == 7
    assert [o.message for o in outcomes if not o.cancelled] == [
        f"{us} is already announced or running; cancel it yourself if it must not happen."
    ]
    assert all(o.message.endswith(": will be cancelled (it is only planned).") for o in outcomes if o.cancelled)
    assert not Freeze.objects.exists()
    assert Window.objects.filter(status="planned").count() == 6
    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["announce"]


@pytest.mark.django_db
def test_lifting_a_freeze_plans_its_windows_again_but_an_announced_cancelled_one_stays_cancelled(admin_user):
    planning.plan(NOW, 2)
    us = Window.objects.get(region__slug="us", month="2026-12-01")
    lifecycle.announce(us, now=NOW)
    frozen = Freeze(month=date(2026, 12, 1), reason="Year end")
    planning.freeze(frozen, actor=admin_user, now=NOW)
    lifecycle.cancel(us, admin_user, "frozen month", now=NOW)  # a person cancelled it; subscribers were told
    assert Window.objects.filter(month="2026-12-01", status="cancelled").count() == 7
    assert planning.plan(NOW, 2).skipped[0][2] == "frozen"

    preview = planning.lift(frozen, dry_run=True, now=NOW)
    assert Freeze.objects.exists() and Window.objects.filter(month="2026-12-01", status="planned").count() == 0
    outcomes = planning.lift(frozen, actor=admin_user, now=NOW)
    assert [(o.window.pk, o.restored) for o in preview] == [(o.window.pk, o.restored) for o in outcomes]
    assert not Freeze.objects.exists()
    kept = [o.message for o in outcomes if not o.restored]
    assert kept == [
        f"{us} was announced, so subscribers were sent its cancellation; it stays cancelled. "
        "Add a new window by hand if the release goes ahead."
    ]
    statuses = dict(Window.objects.filter(month="2026-12-01").values_list("region__slug", "status"))
    assert statuses == {slug: ("cancelled" if slug == "us" else "planned") for slug in statuses}
    report = planning.plan(NOW, 2)
    assert report.created == [] and report.unchanged == 7 + 6
    actions = list(AuditEvent.objects.filter(window__isnull=True).order_by("id").values_list("action", "actor"))
    assert actions == [("freeze", admin_user.pk), ("lift", admin_user.pk)]
    assert AuditEvent.objects.filter(action="restore", actor=admin_user).count() == 6


@pytest.mark.django_db
def test_lifting_one_freeze_keeps_windows_another_freeze_still_covers():
    planning.plan(NOW, 2)
    frankfurt = Region.objects.get(slug="eu-frankfurt")
    everywhere = Freeze(month=date(2026, 12, 1))
    planning.freeze(everywhere, now=NOW)
    planning.freeze(Freeze(month=date(2026, 12, 1), region=frankfurt), now=NOW)
    outcomes = {o.window.region.slug: o for o in planning.lift(everywhere, now=NOW)}
    assert not outcomes["eu-frankfurt"].restored
    assert "the month is still frozen (2026-12 (EU (Frankfurt)))" in outcomes["eu-frankfurt"].message
    assert sum(o.restored for o in outcomes.values()) == 6
