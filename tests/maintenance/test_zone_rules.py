"""Time-zone rule changes, with real zone data: two versions of a test zone compiled with zic.

Test/Shift keeps European summer time in version 1 and abolishes it from 2027 in version 2 (as Mexico did in
2022), so the June 2027 window at 22:00 local moves from 20:00 to 21:00 UTC; January's stays at 21:00 UTC.
"""

import shutil
import subprocess
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command

from maintenance import lifecycle, rule, zonerules
from maintenance.models import AuditEvent, Region, Window
from maintenance.tasks import check_zone_rules

JANUARY = datetime(2027, 1, 15, 12, 0, tzinfo=UTC)
JUNE_V1 = datetime(2027, 6, 26, 20, 0, tzinfo=UTC)  # 22:00 CEST under version 1
JUNE_V2 = datetime(2027, 6, 26, 21, 0, tzinfo=UTC)  # 22:00 CET under version 2
JANUARY = datetime(2027, 1, 30, 21, 0, tzinfo=UTC)  # 22:00 CET under both

SOURCES = {
    "v1": """
Rule Shift 2020 max - Mar lastSun 1:00u 1:00 S
Rule Shift 2020 max - Oct lastSun 1:00u 0 -
Zone Test/Shift 1:00 Shift CE%sT
""",
    "v2": """
Rule Shift 2020 2026 - Mar lastSun 1:00u 1:00 S
Rule Shift 2020 2026 - Oct lastSun 1:00u 0 -
Zone Test/Shift 1:00 Shift CE%sT
""",
}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    zic = shutil.which("zic") or "/usr/sbin/zic"
    root = tmp_path_factory.mktemp("zones")
    for version, text in SOURCES.items():
        source = root / f"{version}.zi"
        source.write_text(text)
        subprocess.run([zic, "-d", str(root / version), str(source)], check=True, capture_output=True)
    return root


@pytest.fixture
def zone_data(compiled):
    """``zone_data("v2")`` installs that version, as a tzdata upgrade would."""
    original = zoneinfo.TZPATH

    def install(version):
        zoneinfo.reset_tzpath(to=[str(compiled / version), *original])
        rule.forget_zone_data()

    install("v1")
    yield install
    zoneinfo.reset_tzpath(to=original)
    rule.forget_zone_data()


@pytest.fixture(autouse=True)
def january_clock():
    with time_machine.travel(JANUARY, tick=False):
        yield


@pytest.fixture
def region(db, zone_data):
    return Region.objects.create(
        slug="shift", name="Shiftland", timezone="Test/Shift", offpeak_start=time(22), window_minutes=60, position=99
    )


def make_window(region, starts_at, origin=Window.Origin.RULE):
    return Window.objects.create(
        region=region,
        month=date(starts_at.year, starts_at.month, 1),
        origin=origin,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=60),
    )


def test_the_two_compiled_versions_disagree_only_in_summer_2027(zone_data):
    assert rule.wall_to_utc(date(2027, 6, 26), time(22), rule.zone("Test/Shift")) == JUNE_V1
    zone_data("v2")
    assert rule.wall_to_utc(date(2027, 6, 26), time(22), rule.zone("Test/Shift")) == JUNE_V2
    assert rule.wall_to_utc(date(2027, 1, 30), time(22), rule.zone("Test/Shift")) == JANUARY


def test_a_window_remembers_its_local_start(region):
    june = make_window(region, JUNE_V1)
    assert (june.local_date, june.local_time, june.local_zone) == (date(2027, 6, 26), time(22), "Test/Shift")


def test_a_planned_window_no_one_edited_follows_the_new_rules_through_the_lifecycle(region, zone_data):
    june, january = make_window(region, JUNE_V1), make_window(region, JANUARY)
    zone_data("v2")
    report = zonerules.check(JANUARY)
    june.refresh_from_db()
    assert (june.starts_at, june.ends_at, june.status, june.sequence) == (
        JUNE_V2,
        JUNE_V2 + timedelta(minutes=60),
        "planned",
        1,
    )
    assert june.edited_by_hand is False
    event = AuditEvent.objects.get(window=june, action="zone_rules")
    assert (event.actor_label, event.reason) == ("schedule", "time-zone rules changed")
    assert event.changes["starts_at"] == [JUNE_V1.isoformat(), JUNE_V2.isoformat()]
    assert Window.objects.get(pk=january.pk).sequence == 0
    assert [outcome.window.pk for outcome in report.moved] == [june.pk]
    # Run again: nothing left to do.
    again = zonerules.check(JANUARY)
    assert (again.moved, again.flagged, again.pending) == ([], [], [])


def test_an_announced_window_is_flagged_once_and_never_moved_silently(region, zone_data, manager):
    june = make_window(region, JUNE_V1)
    lifecycle.announce(june, now=JANUARY)
    zone_data("v2")
    assert check_zone_rules() == {"moved": 0, "flagged": 1}
    june.refresh_from_db()
    assert (june.starts_at, june.status, june.sequence) == (JUNE_V1, "scheduled", 1)
    (message,) = mail.outbox
    assert message.to == ["release-manager@example.com"]
    assert message.subject.endswith("Time-zone rules changed: 1 announced window(s) to review")
    assert (
        f"shift window {june.pk} (scheduled): announced for Sat 2027-06-26 22:00 CET, now falls at "
        "Sat 2027-06-26 21:00 CET; rescheduling keeps 22:00 local = 2027-06-26 21:00 UTC"
    ) in message.body
    assert f"/admin/maintenance/window/{june.pk}/change/" in message.body
    # The beat fires again: no second email, no second flag.
    assert check_zone_rules() == {"moved": 0, "flagged": 0}
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(window=june, action=zonerules.FLAG).count() == 1


def test_a_planned_window_edited_by_hand_is_flagged_not_moved(region, zone_data):
    june = make_window(region, JUNE_V1 - timedelta(hours=1))
    lifecycle.reschedule(june, JUNE_V1, JUNE_V1 + timedelta(minutes=45), now=JANUARY)
    zone_data("v2")
    report = zonerules.check(JANUARY)
    assert (report.moved, [s.window.pk for s in report.flagged]) == ([], [june.pk])
    assert Window.objects.get(pk=june.pk).starts_at == JUNE_V1


def test_the_admin_warns_and_one_action_reschedules_through_the_lifecycle(client, region, zone_data, manager):
    june = make_window(region, JUNE_V1)
    lifecycle.announce(june, now=JANUARY)
    zone_data("v2")
    client.force_login(manager)
    page = client.get("/admin/maintenance/window/")
    warnings = [str(m) for m in page.context["messages"]]
    assert any(w.startswith(f"Time-zone rules changed: shift window {june.pk} (scheduled)") for w in warnings)
    chosen = {"action": "follow_zone_rules", "_selected_action": [june.pk]}
    question = client.post("/admin/maintenance/window/", chosen)
    assert question.status_code == 200
    assert (
        f"shift window {june.pk} (scheduled): announced for Sat 2027-06-26 22:00 CET, now falls at "
        "Sat 2027-06-26 21:00 CET; rescheduling keeps 22:00 local = 2027-06-26 21:00 UTC"
    ) in question.content.decode()
    assert Window.objects.get(pk=june.pk).sequence == 1  # asking changed nothing
    response = client.post("/admin/maintenance/window/", {**chosen, "confirm": "yes"}, follow=True)
    assert response.status_code == 200
    june.refresh_from_db()
    assert (june.starts_at, june.ends_at, june.status, june.sequence) == (
        JUNE_V2,
        JUNE_V2 + timedelta(minutes=60),
        "scheduled",
        2,
    )
    event = AuditEvent.objects.get(window=june, action="reschedule")
    assert (event.actor, event.reason) == (manager, "time-zone rules changed")
    assert (june.local_date, june.local_time) == (date(2027, 6, 26), time(22))
    # Nothing left to warn about, and pressing it twice changes nothing.
    assert zonerules.find(JANUARY) == []
    again = client.post("/admin/maintenance/window/", {**chosen, "confirm": "yes"}, follow=True)
    assert Window.objects.get(pk=june.pk).sequence == 2
    assert any("already matches the installed time-zone rules" in str(m) for m in again.context["messages"])


def test_the_status_page_shows_the_local_time_from_the_installed_data(client, region, zone_data):
    june = make_window(region, JUNE_V1)
    lifecycle.announce(june, now=JANUARY)
    assert "22:00 CEST" in client.get(f"/windows/{june.pk}/").content.decode()
    zone_data("v2")
    html = client.get(f"/windows/{june.pk}/").content.decode()
    assert "21:00 CET" in html and "22:00 CEST" not in html


def test_check_zone_rules_command_reports_what_it_did(region, zone_data, capsys):
    planned = make_window(region, JUNE_V1)
    announced = make_window(region, JUNE_V1 + timedelta(days=28), origin=Window.Origin.MANUAL)  # 2027-07-24
    lifecycle.announce(announced, now=JANUARY)
    zone_data("v2")
    call_command("check_zone_rules")
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"moved    {Window.objects.get(pk=planned.pk)}  (time-zone rules changed)"
    assert out[1].startswith(f"flagged  shift window {announced.pk} (scheduled): announced for Sat 2027-07-24 22:00")
    assert out[-1] == "1 moved, 1 flagged, 0 waiting for a person."
