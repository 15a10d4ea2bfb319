"""The SLA as the seed words it: only weekend maintenance is excluded, and authorised people exclude incident
time by the seed's categories. Exact minutes from real windows, incidents and exclusions."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User

from maintenance import exclusions, incidents, lifecycle, sla
from maintenance.models import AuditEvent, SlaExclusion, Window
from maintenance.rule import Month

LATER = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)  # November (and March) are over
ANNOUNCED_ON = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def utc(month, day, hour, minute=0, year=2026):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def ran_window(region, starts_at, minutes, announced_on=ANNOUNCED_ON):
    """A window announced ahead that ran exactly as announced."""
    window = Window.objects.create(
        region=region,
        month=date(starts_at.year, starts_at.month, 1),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=minutes),
    )
    lifecycle.announce(window, now=announced_on)
    lifecycle.start(window, now=starts_at)
    lifecycle.complete(window, now=starts_at + timedelta(minutes=minutes))
    return Window.objects.get(pk=window.pk)


def outage(region, start, end, title="Errors"):
    opened = incidents.open_incident(title, [region], "major", "Looking into it.", started_at=start, now=start)
    return incidents.resolve(opened, "Fixed.", resolved_at=end, now=end)


def ledger_row(region, month="2026-11", mode=None):
    (row,) = sla.ledger([Month.parse(month)], LATER, regions=[region], mode=mode)
    return row


@pytest.fixture
def frankfurt(regions):
    return regions["eu-frankfurt"]


@pytest.fixture
def officer(db):
    """A release manager who may also exclude incident time."""
    user = User.objects.create_user("officer", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Release managers"))
    user.user_permissions.add(Permission.objects.get(codename="exclude_incident_time"))
    return User.objects.get(pk=user.pk)


# --- pure: the weekend part of an interval ---


def test_weekend_parts_split_a_window_crossing_local_midnight_into_monday():
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    # Sunday 2026-11-29 23:30 CET to Monday 00:30 CET.
    assert sla.weekend_parts((utc(11, 29, 22, 30), utc(11, 29, 23, 30)), berlin) == [
        (utc(11, 29, 22, 30), utc(11, 29, 23, 0))
    ]
    # Friday 23:30 to Saturday 00:30 local: only the Saturday half.
    assert sla.weekend_parts((utc(11, 27, 22, 30), utc(11, 27, 23, 30)), berlin) == [
        (utc(11, 27, 23, 0), utc(11, 27, 23, 30))
    ]
    assert sla.weekend_parts((utc(11, 25, 21), utc(11, 25, 22)), berlin) == []


# --- the ledger, exact minutes ---


def test_a_wednesday_window_counts_in_full(frankfurt):
    ran_window(frankfurt, utc(11, 25, 21), 60)  # Wednesday 22:00–23:00 CET
    row = ledger_row(frankfurt)
    assert (row.minutes_in_month, row.downtime_minutes, row.maintenance_minutes) == (43_200, 60, 0)
    assert (row.availability_percent, row.met) == (sla.Decimal("99.8611"), False)


def test_a_wednesday_window_is_excluded_when_any_announced_maintenance_is(frankfurt):
    ran_window(frankfurt, utc(11, 25, 21), 60)
    row = ledger_row(frankfurt, mode="any")
    assert (row.downtime_minutes, row.maintenance_minutes, row.met) == (0, 60, True)


def test_a_saturday_window_is_excluded(frankfurt):
    ran_window(frankfurt, utc(11, 28, 21), 60)  # the rule's window, Saturday 22:00 CET
    row = ledger_row(frankfurt)
    assert (row.downtime_minutes, row.maintenance_minutes, row.met) == (0, 60, True)


def test_a_window_crossing_local_midnight_sunday_to_monday_counts_only_the_monday_part(frankfurt):
    window = ran_window(frankfurt, utc(11, 29, 22, 30), 60)  # Sunday 23:30 CET to Monday 00:30 CET
    incidents_down = outage(frankfurt, window.starts_at + timedelta(minutes=10), window.ends_at)
    assert incidents_down.resolved_at == utc(11, 29, 23, 30)
    row = ledger_row(frankfurt)
    assert (row.downtime_minutes, row.maintenance_minutes) == (30, 30)
    assert row.availability_percent == sla.Decimal("99.9306")


def test_an_excluded_ddos_incident_overlapping_a_counted_one_is_taken_once(frankfurt, officer):
    outage(frankfurt, utc(11, 3, 10), utc(11, 3, 10, 30), "Database failover")
    attack = outage(frankfurt, utc(11, 3, 10, 15), utc(11, 3, 11), "Flood of requests")
    exclusions.exclude(attack, "ddos", "Attack from a botnet, ticket SEC-12", actor=officer, now=LATER)
    row = ledger_row(frankfurt)
    # 10:00–10:30 counts; the attack adds only 10:30–11:00, not its 45 minutes.
    assert row.downtime_minutes == 30
    assert row.excluded_minutes == {**dict.fromkeys(SlaExclusion.Category.values, 0), "ddos": 30}
    assert (row.availability_percent, row.met) == (sla.Decimal("99.9306"), True)


def test_part_of_an_incident_can_be_excluded_and_the_rest_counts(frankfurt, officer):
    incident = outage(frankfurt, utc(11, 5, 10), utc(11, 5, 11))
    exclusions.exclude(
        incident, "isp", "Upstream transit down", starts_at=utc(11, 5, 10, 20), ends_at=utc(11, 5, 10, 40),
        actor=officer, now=LATER,
    )  # fmt: skip
    row = ledger_row(frankfurt)
    assert (row.downtime_minutes, row.excluded_minutes["isp"]) == (40, 20)


def test_a_month_with_a_dst_change_counts_real_elapsed_minutes(frankfurt):
    # 2026-03-29 01:30 CET to 03:30 CEST: two hours on the wall clock, one hour elapsed.
    outage(frankfurt, utc(3, 29, 0, 30), utc(3, 29, 1, 30))
    ran_window(frankfurt, utc(3, 28, 21), 60, announced_on=utc(3, 1, 12))  # Saturday 22:00 CET, excluded
    row = ledger_row(frankfurt, "2026-03")
    assert (row.minutes_in_month, row.downtime_minutes, row.maintenance_minutes) == (44_580, 60, 60)
    assert (row.availability_percent, row.met) == (sla.Decimal("99.8654"), False)


def test_revoking_an_exclusion_counts_the_time_again_and_is_audited(frankfurt, officer):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    exclusion = exclusions.exclude(incident, "fire", "Fire at the data centre", actor=officer, now=LATER)
    assert ledger_row(frankfurt).downtime_minutes == 0
    exclusions.revoke(exclusion, actor=officer, reason="Was not the fire after all", now=LATER)
    assert ledger_row(frankfurt).downtime_minutes == 60
    assert SlaExclusion.objects.count() == 0
    events = list(AuditEvent.objects.filter(incident=incident, action__startswith="sla_").order_by("id"))
    assert [(e.action, e.actor_label, e.reason) for e in events] == [
        ("sla_exclude", "officer", "Fire at the data centre"),
        ("sla_exclusion_revoke", "officer", "Was not the fire after all"),
    ]
    assert events[1].changes["category"] == ["fire", None]


def test_the_ledger_with_exclusions_still_takes_three_queries(frankfurt, officer, django_assert_max_num_queries):
    for hour in (8, 10, 12):
        incident = outage(frankfurt, utc(11, 3, hour), utc(11, 3, hour, 30))
        exclusions.exclude(incident, "ddos", "Attack", actor=officer, now=LATER)
        exclusions.exclude(incident, "isp", "Transit", actor=officer, now=LATER)
    with django_assert_max_num_queries(3):
        (row,) = sla.ledger([Month(2026, 11)], LATER, regions=[frankfurt])
    # Two categories on the same minutes: the minute goes to the one the SLA names first, once.
    assert (row.excluded_minutes["isp"], row.excluded_minutes["ddos"], row.downtime_minutes) == (90, 0, 0)


# --- bad input: a clear error, and nothing stored changes ---


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"starts_at": utc(11, 3, 9)}, "must start within the incident"),
        ({"ends_at": utc(11, 3, 12)}, "must end within the incident"),
        ({"starts_at": utc(11, 3, 10, 30), "ends_at": utc(11, 3, 10, 10)}, "must end after it starts"),
        ({"category": "volcano"}, "'volcano' is not a category"),
        ({"reason": "x" * 501}, "at most 500 characters"),
        ({"reason": "first line\r\nsecond"}, "no line breaks"),
        ({"reason": "   "}, "Say why"),
    ],
)
def test_a_bad_exclusion_is_refused_and_nothing_changes(frankfurt, officer, changes, message):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    events = AuditEvent.objects.count()
    arguments = {"category": "ddos", "reason": "Attack", **changes}
    with pytest.raises(exclusions.ExclusionError, match=message):
        exclusions.exclude(incident, actor=officer, now=LATER, **arguments)
    assert (SlaExclusion.objects.count(), AuditEvent.objects.count()) == (0, events)


def test_a_release_manager_without_the_permission_cannot_exclude(frankfurt, manager):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    with pytest.raises(exclusions.ExclusionError, match="Only a user allowed"):
        exclusions.exclude(incident, "ddos", "Attack", actor=manager, now=LATER)
    assert SlaExclusion.objects.count() == 0


# --- the admin ---


def _change_form(incident, regions, **exclusion):
    data = {
        "title": incident.title,
        "regions": [region.pk for region in incident.regions.all()],
        "impact": incident.impact,
        "started_at_0": f"{incident.started_at:%Y-%m-%d}",
        "started_at_1": f"{incident.started_at:%H:%M:%S}",
        "updates-TOTAL_FORMS": "0",
        "updates-INITIAL_FORMS": "0",
        "exclusions-TOTAL_FORMS": "1",
        "exclusions-INITIAL_FORMS": "0",
    }
    data.update({f"exclusions-0-{key}": value for key, value in exclusion.items()})
    return data


def test_the_exclusion_inline_is_only_for_users_with_the_permission(client, frankfurt, manager):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    client.force_login(manager)
    with time_machine.travel(LATER, tick=False):
        page = client.get(f"/admin/maintenance/incident/{incident.pk}/change/").content.decode()
        client.post(
            f"/admin/maintenance/incident/{incident.pk}/change/",
            _change_form(incident, None, category="ddos", reason="Attack"),
        )
    assert "SLA exclusions" not in page
    assert SlaExclusion.objects.count() == 0


def test_an_authorised_user_excludes_part_of_an_incident_in_the_admin(client, frankfurt, officer):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    client.force_login(officer)
    with time_machine.travel(LATER, tick=False):
        assert "SLA exclusions" in client.get(f"/admin/maintenance/incident/{incident.pk}/change/").content.decode()
        response = client.post(
            f"/admin/maintenance/incident/{incident.pk}/change/",
            _change_form(
                incident,
                None,
                category="ddos",
                starts_at_0="2026-11-03",
                starts_at_1="10:30:00",
                reason="Botnet",
                publish_reason="on",
            ),
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    exclusion = SlaExclusion.objects.get()
    assert (exclusion.category, exclusion.starts_at, exclusion.ends_at, exclusion.publish_reason) == (
        "ddos",
        utc(11, 3, 10, 30),
        None,
        True,
    )
    assert AuditEvent.objects.filter(incident=incident, action="sla_exclude", actor=officer).count() == 1


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"category": "volcano", "reason": "x"}, "Select a valid choice"),
        ({"category": "ddos", "reason": "x" * 501}, "at most 500 characters"),
        ({"category": "ddos", "reason": "a\nb"}, "no line breaks"),
        ({"category": "ddos", "reason": "x", "starts_at_0": "2026-11-03", "starts_at_1": "09:00:00"}, "start within"),
        ({"category": "ddos", "reason": "x", "ends_at_0": "2026-11-03", "ends_at_1": "12:00:00"}, "end within"),
    ],
)
def test_a_bad_exclusion_in_the_admin_is_a_form_error(client, frankfurt, officer, fields, error):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    client.force_login(officer)
    with time_machine.travel(LATER, tick=False):
        response = client.post(
            f"/admin/maintenance/incident/{incident.pk}/change/", _change_form(incident, None, **fields)
        )
    assert response.status_code == 200
    assert error in response.content.decode()
    assert SlaExclusion.objects.count() == 0
    assert not AuditEvent.objects.filter(action="sla_exclude").exists()


# --- the public page: categories, never an unpublished reason ---


def test_the_sla_page_shows_categories_and_only_published_reasons(client, frankfurt, officer):
    hidden = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11), "Storage errors")
    shown = outage(frankfurt, utc(11, 4, 10), utc(11, 4, 10, 30), "Slow pages")
    exclusions.exclude(hidden, "government", "Police raid at the colo, case 4711", actor=officer, now=LATER)
    exclusions.exclude(shown, "isp", "Transit provider outage", publish_reason=True, actor=officer, now=LATER)
    with time_machine.travel(LATER, tick=False):
        html = client.get("/sla/").content.decode()
    assert "Act of government" in html and "60 min excluded: Act of government" in html
    assert "Police raid" not in html and "4711" not in html
    assert "Failure or delay of internet service providers: Transit provider outage" in html


def test_the_api_and_csv_show_excluded_minutes_by_category(client, frankfurt, officer):
    attack = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 10, 45))
    exclusions.exclude(attack, "ddos", "Attack", actor=officer, now=LATER)
    with time_machine.travel(LATER, tick=False):
        rows = client.get("/api/v1/sla/?month=2026-11").json()
        body = client.get("/sla.csv").content.decode()
    row = next(row for row in rows if row["region"] == "eu-frankfurt")
    assert (row["downtime_minutes"], row["excluded_minutes"]["ddos"], row["availability_percent"]) == (0, 45, 100.0)
    assert "eu-frankfurt,2026-11,43200,0,0,0,0,0,0,0,0,0,0,45,100.0000,yes" in body


def test_the_readme_worked_example(frankfurt, officer):
    """README, "SLA accounting": eu-frankfurt, November 2026."""
    ran_window(frankfurt, utc(11, 28, 21), 60)  # Saturday 22:00 CET, as announced: weekend maintenance
    ran_window(frankfurt, utc(11, 25, 21), 60)  # moved to Wednesday 22:00 CET: counts
    outage(frankfurt, utc(11, 3, 10), utc(11, 3, 10, 30), "Database failover")
    attack = outage(frankfurt, utc(11, 3, 10, 15), utc(11, 3, 11), "Flood of requests")
    exclusions.exclude(attack, "ddos", "Botnet, ticket SEC-12", actor=officer, now=LATER)
    row = ledger_row(frankfurt)
    assert (row.minutes_in_month, row.downtime_minutes, row.maintenance_minutes, row.excluded_minutes["ddos"]) == (
        43_200,
        90,
        60,
        30,
    )
    assert (row.availability_percent, row.met) == (sla.Decimal("99.7917"), False)


# --- the reschedule form warns before a window leaves the weekend ---


def test_a_reschedule_to_a_weekday_needs_confirming_and_then_counts(client, regions, manager, window):
    from tests.conftest import NOW

    lifecycle.announce(window, now=NOW)
    url = f"/admin/maintenance/window/{window.pk}/reschedule/"
    # The form takes the region's wall-clock time: 22:00 CET is 21:00 UTC.
    wednesday = {"starts_at": "2026-12-02 22:00", "ends_at": "2026-12-02 23:00", "reason": "Conflict"}
    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        refused = client.post(url, wednesday)
        assert refused.status_code == 400
        assert (
            "60 minutes of this window fall on a weekday in EU (Frankfurt)&#x27;s local time (it would start "
            "Wed 2026-12-02 22:00 CET): they will count as downtime against the SLA."
        ) in refused.content.decode()
        assert Window.objects.get(pk=window.pk).sequence == 1  # nothing changed
        # Saturday to Sunday needs no confirmation; the confirmed weekday move goes through the lifecycle.
        confirmed = client.post(url, {**wednesday, "count_weekday": "on"})
    assert confirmed.status_code == 302
    window.refresh_from_db()
    assert (window.starts_at, window.sequence) == (utc(12, 2, 21), 2)


def test_a_reschedule_within_the_weekend_needs_no_confirmation(client, regions, manager, window):
    from tests.conftest import NOW

    client.force_login(manager)
    with time_machine.travel(NOW, tick=False):
        response = client.post(
            f"/admin/maintenance/window/{window.pk}/reschedule/",
            {"starts_at": "2026-11-29 22:00", "ends_at": "2026-11-29 23:00"},
        )
    assert response.status_code == 302
    assert Window.objects.get(pk=window.pk).starts_at == utc(11, 29, 21)


@pytest.mark.slow  # a fresh process
def test_a_bad_sla_excluded_maintenance_stops_start_up_naming_it():
    from tests import shell

    result = shell.run("manage.py", "check", DEBUG="1", SLA_EXCLUDED_MAINTENANCE="sometimes")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Configuration error: SLA_EXCLUDED_MAINTENANCE must look like weekend or any; got 'sometimes'."
    )
    assert shell.run("manage.py", "check", DEBUG="1", SLA_EXCLUDED_MAINTENANCE="any").returncode == 0


def test_revoking_twice_says_so_and_writes_one_audit_event(frankfurt, officer):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    exclusion = exclusions.exclude(incident, "flood", "Flooded basement", actor=officer, now=LATER)
    exclusions.revoke(exclusion, actor=officer, now=LATER)
    with pytest.raises(exclusions.ExclusionError, match="already revoked"):
        exclusions.revoke(exclusion, actor=officer, now=LATER)
    assert AuditEvent.objects.filter(action="sla_exclusion_revoke").count() == 1


def test_an_authorised_user_revokes_an_exclusion_in_the_admin(client, frankfurt, officer):
    incident = outage(frankfurt, utc(11, 3, 10), utc(11, 3, 11))
    exclusion = exclusions.exclude(incident, "riots", "Riots near the site", actor=officer, now=LATER)
    data = _change_form(incident, None)
    data.update(
        {
            "exclusions-INITIAL_FORMS": "1",
            "exclusions-0-id": exclusion.pk,
            "exclusions-0-incident": incident.pk,
            "exclusions-0-DELETE": "on",
        }
    )
    client.force_login(officer)
    with time_machine.travel(LATER, tick=False):
        response = client.post(f"/admin/maintenance/incident/{incident.pk}/change/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert SlaExclusion.objects.count() == 0
    assert AuditEvent.objects.get(action="sla_exclusion_revoke").actor == officer
