"""The automation service: alerts open, update, reopen and resolve incidents, idempotently, never over a person."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User

from maintenance import automation, incidents
from maintenance.models import AlertGroup, AuditEvent, Incident
from maintenance.rule import Month
from maintenance.sla import ledger
from tests.conftest import NOW

T0 = NOW - timedelta(minutes=30)


def signal(
    firing=True,
    fingerprint="fp1",
    starts_at=T0,
    ends_at=None,
    regions=("eu-frankfurt",),
    impact="major",
    group='{}:{alertname="Down"}',
    receipt=None,
):
    status = "firing" if firing else "resolved"
    return automation.Signal(
        source="alertmanager",
        group=group,
        fingerprint=fingerprint,
        receipt=receipt or f"{fingerprint}|{starts_at.isoformat()}|{status}",
        region_slugs=tuple(regions),
        firing=firing,
        impact=impact,
        title="API down",
        body=f"API is {status}",
        starts_at=starts_at,
        ends_at=ends_at,
    )


@pytest.fixture(autouse=True)
def _regions(regions):
    return regions


def test_a_firing_alert_opens_an_incident_marked_as_automated_from_its_start():
    outcome = automation.apply([signal()], now=NOW)
    incident = Incident.objects.get()
    assert outcome.applied == [{"alert": "fp1", "action": "opened", "incident": incident.pk}]
    assert (incident.title, incident.impact, incident.status, incident.started_at) == (
        "API down",
        "major",
        "investigating",
        T0,
    )
    assert incident.source == "alertmanager" and incident.opened_by_automation
    assert list(incident.regions.values_list("slug", flat=True)) == ["eu-frankfurt"]
    event = AuditEvent.objects.get(incident=incident)
    assert (event.actor_label, event.action, event.changes["source"]) == (
        "automation:alertmanager",
        "incident_open",
        [None, "alertmanager"],
    )


def test_the_same_notification_twice_changes_nothing():
    automation.apply([signal()], now=NOW)
    before = (Incident.objects.get().updated_at, AuditEvent.objects.count())
    outcome = automation.apply([signal()], now=NOW + timedelta(minutes=1))
    assert outcome.applied == []
    assert outcome.ignored == [
        {"alert": "fp1", "reason": "A repeat of a notification already applied; nothing changed."}
    ]
    assert (Incident.objects.get().updated_at, AuditEvent.objects.count()) == before


def test_resolution_resolves_at_ends_at_and_the_ledger_counts_exactly_that_span():
    automation.apply([signal()], now=NOW)
    ends = NOW - timedelta(minutes=5)
    outcome = automation.apply([signal(firing=False, ends_at=ends)], now=NOW)
    incident = Incident.objects.get()
    assert outcome.applied[0]["action"] == "resolved"
    assert (incident.status, incident.resolved_at) == ("resolved", ends)
    row = next(r for r in ledger([Month(2026, 11)], NOW) if r.region.slug == "eu-frankfurt")
    assert row.downtime == timedelta(minutes=25)


def test_a_second_alert_of_the_group_updates_the_incident_and_raises_its_impact():
    automation.apply([signal()], now=NOW)
    outcome = automation.apply([signal(fingerprint="fp2", impact="critical")], now=NOW)
    incident = Incident.objects.get()
    assert outcome.applied == [{"alert": "fp2", "action": "updated", "incident": incident.pk}]
    assert incident.impact == "critical" and incident.updates.count() == 2
    # One alert resolving leaves the incident open while the other fires.
    automation.apply([signal(fingerprint="fp1", firing=False, ends_at=NOW)], now=NOW)
    assert Incident.objects.get().status == "investigating"
    automation.apply([signal(fingerprint="fp2", firing=False, ends_at=NOW)], now=NOW)
    assert Incident.objects.get().status == "resolved"


def test_another_region_set_in_the_same_group_is_another_incident():
    automation.apply([signal(), signal(fingerprint="fp2", regions=("japan",))], now=NOW)
    assert sorted(Incident.objects.values_list("regions__slug", flat=True)) == ["eu-frankfurt", "japan"]
    assert AlertGroup.objects.count() == 2


def test_an_alert_firing_again_within_the_flap_window_reopens_the_same_incident(settings):
    settings.AUTOMATION_FLAP_MINUTES = 10
    automation.apply([signal()], now=NOW)
    automation.apply([signal(firing=False, ends_at=NOW)], now=NOW)
    again = NOW + timedelta(minutes=9)
    outcome = automation.apply([signal(starts_at=again)], now=again)
    incident = Incident.objects.get()
    assert outcome.applied[0]["action"] == "reopened"
    assert (incident.status, incident.resolved_at, incident.started_at) == ("investigating", None, T0)
    assert AuditEvent.objects.filter(incident=incident, action="incident_reopen").count() == 1


def test_an_alert_firing_again_after_the_flap_window_opens_a_new_incident(settings):
    settings.AUTOMATION_FLAP_MINUTES = 10
    automation.apply([signal()], now=NOW)
    automation.apply([signal(firing=False, ends_at=NOW)], now=NOW)
    later = NOW + timedelta(minutes=11)
    outcome = automation.apply([signal(starts_at=later)], now=later)
    assert outcome.applied[0]["action"] == "opened"
    assert list(Incident.objects.order_by("id").values_list("status", flat=True)) == ["resolved", "investigating"]


def test_after_a_person_edits_the_incident_automation_only_adds_updates():
    automation.apply([signal()], now=NOW)
    incident = Incident.objects.get()
    person = User.objects.create_user("rm")
    incidents.post_update(incident, "identified", "We know what it is.", actor=person, now=NOW)
    automation.apply([signal(fingerprint="fp2", impact="critical")], now=NOW)
    automation.apply([signal(firing=False, ends_at=NOW), signal(fingerprint="fp2", firing=False, ends_at=NOW)], now=NOW)
    incident.refresh_from_db()
    assert (incident.status, incident.impact, incident.resolved_at) == ("identified", "major", None)
    assert incident.updates.count() == 5
    assert "stays as they left it" in incident.updates.order_by("-id").first().body
    # A resolution by the person stands, and a new firing opens a new incident rather than reopening theirs.
    incidents.resolve(incident, actor=person, now=NOW)
    automation.apply([signal(starts_at=NOW + timedelta(minutes=1))], now=NOW + timedelta(minutes=2))
    assert Incident.objects.count() == 2
    assert Incident.objects.get(pk=incident.pk).status == "resolved"


def test_a_resolution_never_seen_firing_records_the_outage_it_reports():
    ends = NOW - timedelta(minutes=10)
    outcome = automation.apply([signal(firing=False, ends_at=ends)], now=NOW)
    incident = Incident.objects.get()
    assert outcome.applied[0]["action"] == "recorded"
    assert (incident.started_at, incident.resolved_at, incident.status) == (T0, ends, "resolved")


def test_an_alert_for_no_known_region_is_ignored_with_the_reason():
    outcome = automation.apply([signal(regions=("atlantis",))], now=NOW)
    assert outcome.applied == []
    assert outcome.ignored == [
        {"alert": "fp1", "reason": "It names no active region of this status page (regions: atlantis)."}
    ]
    assert Incident.objects.count() == 0


def test_severity_labels_map_to_impacts():
    assert [automation.impact_for(s) for s in ("critical", "PAGE", "error", "warning", "info", None, "odd")] == [
        "critical",
        "critical",
        "major",
        "minor",
        "minor",
        "major",
        "major",
    ]


def test_the_token_user_is_recorded_as_the_actor_but_not_taken_for_a_person():
    user = User.objects.create_user("alertmanager")
    automation.apply([signal()], user=user, now=NOW)
    event = AuditEvent.objects.get()
    assert (event.actor, event.actor_label) == (user, "automation:alertmanager")
    assert not automation.edited_by_person(Incident.objects.get())


def test_automation_token_creates_a_user_with_only_the_automation_permission(capsys):
    from django.core.management import call_command
    from knox.crypto import hash_token

    from statuspage.models import ApiToken

    call_command("automation_token", "kuma")
    key = capsys.readouterr().out.strip()
    user = User.objects.get(username="kuma")
    assert not user.has_usable_password()
    assert user.get_all_permissions() == {"maintenance.automate_incidents"}
    # Only the hash is kept; a second call makes a second token and keeps the first working.
    assert ApiToken.objects.get(user=user).digest == hash_token(key)
    call_command("automation_token", "kuma")
    second = capsys.readouterr().out.strip()
    assert second != key
    assert ApiToken.objects.filter(user=user).count() == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_concurrent_notifications_for_one_group_open_one_incident_and_apply_each_alert_once():
    from concurrent.futures import ThreadPoolExecutor

    from django.db import connection

    def deliver(n):
        try:
            # Every alert twice, as Alertmanager's retries would: the repeat finds the receipt.
            return automation.apply([signal(fingerprint=f"fp{n % 8}")], now=NOW)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(deliver, range(16)))
    incident = Incident.objects.get()
    assert sorted(o.applied[0]["action"] for o in outcomes if o.applied) == ["opened"] + ["updated"] * 7
    assert sum(len(o.ignored) for o in outcomes) == 8
    assert incident.updates.count() == 8
    assert AlertGroup.objects.get().alerts.count() == 8
