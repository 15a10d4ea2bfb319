"""The release managers' admin: filters, lifecycle actions, forms, warnings, freezes, incidents, audit log."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import translation

from maintenance import lifecycle
from maintenance.models import AuditEvent, Freeze, Incident, Window
from tests.conftest import NOW
from tests.maintenance.transitions import CASES, bring_to

CHANGELIST = "/admin/maintenance/window/"
ADMIN_ACTIONS = {"announce": "announce_windows", "start": "start_windows", "complete": "complete_windows"}
ADMIN_ACTIONS["cancel"] = "cancel_windows"
pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def admin_client(client, manager):
    client.force_login(manager)
    return client


def texts(response):
    return [str(message) for message in response.context["messages"]]


def test_release_managers_group_has_only_the_permissions_the_work_needs(db):
    group = Group.objects.get(name="Release managers")
    assert sorted(group.permissions.values_list("codename", flat=True)) == [
        "add_freeze",
        "add_incident",
        "add_incidentupdate",
        "change_freeze",
        "change_incident",
        "change_window",
        "delete_freeze",
        "manage_windows",
        "view_auditevent",
        "view_freeze",
        "view_incident",
        "view_incidentupdate",
        "view_region",
        "view_window",
    ]


ACTION_CASES = [(case, expected) for case, expected in CASES if case[1] in ADMIN_ACTIONS]


@pytest.mark.parametrize(("case", "expected"), ACTION_CASES, ids=[f"{s}-{a}" for (s, a), _ in ACTION_CASES])
def test_every_transition_through_the_admin_action(admin_client, manager, window, case, expected):
    from_state, action = case
    window = bring_to(window, from_state)
    response = admin_client.post(
        CHANGELIST, {"action": ADMIN_ACTIONS[action], "_selected_action": [window.pk]}, follow=True
    )
    assert response.status_code == 200
    [message] = texts(response)
    window.refresh_from_db()
    if expected == "refused":
        assert message.startswith(f"{window}: The window is {from_state.replace('_', ' ')}, so it cannot be")
        assert window.status == from_state
    elif expected == "same":
        assert message.startswith(f"{window}: The window is already")
        assert window.status == from_state
    else:
        assert window.status == expected
        assert message == f"{window}: {lifecycle.DONE[action]}"
        assert AuditEvent.objects.filter(window=window).latest("id").actor == manager


def test_an_action_reports_each_window_on_its_own(admin_client, window):
    us = Window.objects.get(region__slug="us", month="2026-11-01")
    bring_to(us, "cancelled")
    response = admin_client.post(
        CHANGELIST, {"action": "announce_windows", "_selected_action": [window.pk, us.pk]}, follow=True
    )
    assert sorted(texts(response)) == sorted(
        [f"{window}: Announced.", f"{us}: The window is cancelled, so it cannot be announced."]
    )


def test_staff_without_the_manage_permission_gets_no_actions_and_no_forms(client, window):
    viewer = User.objects.create_user("viewer", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_window"))
    client.force_login(viewer)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert b"announce_windows" not in response.content
    client.post(CHANGELIST, {"action": "announce_windows", "_selected_action": [window.pk]})
    assert Window.objects.get(pk=window.pk).status == "planned"
    assert client.get(f"{CHANGELIST}{window.pk}/extend/").status_code == 403


def test_changelist_filters_by_region_local_month_and_status(admin_client, regions):
    from maintenance import planning

    planning.plan(NOW, 3)
    frankfurt = regions["eu-frankfurt"]
    bring_to(Window.objects.get(region=frankfurt, month="2026-12-01"), "scheduled")
    response = admin_client.get(
        CHANGELIST, {"region__id__exact": frankfurt.pk, "month": "2026-12", "status": "scheduled"}
    )
    assert [w.month.isoformat() for w in response.context["cl"].result_list] == ["2026-12-01"]
    months = admin_client.get(CHANGELIST, {"month": "2026-11"}).context["cl"].result_list
    assert len(months) == len(regions)
    assert admin_client.get(CHANGELIST, {"month": "garbage"}).status_code == 200


def test_reschedule_form_changes_times_through_the_lifecycle(admin_client, manager, window):
    url = f"{CHANGELIST}{window.pk}/reschedule/"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, {"starts_at": "2026-12-05 21:00", "ends_at": "2026-12-05 21:45", "reason": "Freeze week"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{window.pk}/change/"
    window.refresh_from_db()
    assert (window.starts_at.isoformat(), window.ends_at.isoformat(), window.sequence) == (
        "2026-12-05T21:00:00+00:00",
        "2026-12-05T21:45:00+00:00",
        1,
    )
    event = AuditEvent.objects.get(window=window, action="reschedule")
    assert (event.actor, event.reason) == (manager, "Freeze week")


def test_a_refused_reschedule_or_extend_shows_the_reason_on_the_form(admin_client, window):
    bring_to(window, "completed")
    response = admin_client.post(f"{CHANGELIST}{window.pk}/extend/", {"minutes": 10})
    assert response.status_code == 400
    assert "The window is completed, so it cannot be extended." in response.content.decode()
    response = admin_client.post(f"{CHANGELIST}{window.pk}/reschedule/", {"starts_at": "x", "ends_at": ""})
    assert response.status_code == 400
    assert Window.objects.get(pk=window.pk).sequence == 1


def test_extend_form_pushes_the_end_back(admin_client, window):
    bring_to(window, "in_progress")
    old_end = window.ends_at
    admin_client.post(f"{CHANGELIST}{window.pk}/extend/", {"minutes": 25, "reason": "slow migration"})
    window.refresh_from_db()
    assert window.ends_at == old_end + timedelta(minutes=25)


def test_change_form_edits_text_and_flags_but_never_status_or_times(admin_client, window):
    url = f"{CHANGELIST}{window.pk}/change/"
    page = admin_client.get(url).content.decode()
    assert "Reschedule" in page and "Extend" in page
    response = admin_client.post(
        url,
        {
            "title": "November release",
            "release_summary": "Faster search.",
            "auto_start": "on",
            "status": "completed",
            "starts_at": "2026-11-01 00:00",
            "audit_events-TOTAL_FORMS": "0",
            "audit_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    saved = Window.objects.get(pk=window.pk)
    assert (saved.title, saved.release_summary, saved.auto_start, saved.auto_complete) == (
        "November release",
        "Faster search.",
        True,
        False,
    )
    assert (saved.status, saved.starts_at) == ("planned", window.starts_at)


def test_each_window_shows_its_audit_trail(admin_client, window):
    lifecycle.announce(window, reason="November release", now=NOW)
    page = admin_client.get(f"{CHANGELIST}{window.pk}/change/").content.decode()
    assert "Audit trail" in page and "November release" in page and "announce" in page


def test_overlapping_windows_of_two_regions_raise_a_warning(admin_client, regions, window):
    us = Window.objects.get(region__slug="us", month="2026-11-01")
    lifecycle.reschedule(us, window.starts_at + timedelta(minutes=30), window.ends_at + timedelta(minutes=30), now=NOW)
    expected = (
        f"{window} and {Window.objects.get(pk=us.pk)} overlap: two regions would be in maintenance at the same time."
    )
    assert expected in texts(admin_client.get(CHANGELIST))
    assert expected in texts(admin_client.get(f"{CHANGELIST}{window.pk}/change/"))


def test_no_overlap_no_warning(admin_client, window):
    assert texts(admin_client.get(CHANGELIST)) == []


def test_freezing_a_month_cancels_its_planned_windows_in_that_region(admin_client, regions, window):
    response = admin_client.post(
        "/admin/maintenance/freeze/add/",
        {"month": "2026-11-01", "region": regions["eu-frankfurt"].pk, "reason": "Year-end freeze"},
    )
    assert response.status_code == 302
    assert Freeze.objects.get().region == regions["eu-frankfurt"]
    assert Window.objects.get(pk=window.pk).status == "cancelled"
    assert Window.objects.filter(month="2026-11-01", status="planned").count() == len(regions) - 1


def test_freezing_a_month_for_all_regions_keeps_announced_windows_and_warns(admin_client, regions, window):
    bring_to(window, "scheduled")
    response = admin_client.post(
        "/admin/maintenance/freeze/add/", {"month": "2026-11-01", "reason": "All"}, follow=True
    )
    assert f"{window} is already announced or running; cancel it yourself if it must not happen." in texts(response)
    assert set(Window.objects.filter(month="2026-11-01").values_list("status", flat=True)) == {"cancelled", "scheduled"}


def test_audit_log_admin_is_read_only_and_filterable(admin_client, manager, window):
    lifecycle.announce(window, actor=manager, now=NOW)
    lifecycle.start(window, now=NOW)
    event = AuditEvent.objects.get(action="announce")
    assert admin_client.get("/admin/maintenance/auditevent/add/").status_code == 403
    assert admin_client.post(f"/admin/maintenance/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    admin_client.post(f"/admin/maintenance/auditevent/{event.pk}/change/", {"action": "forged"})
    assert AuditEvent.objects.get(pk=event.pk).action == "announce"
    listing = "/admin/maintenance/auditevent/"
    assert [
        e.action for e in admin_client.get(listing, {"actor__id__exact": manager.pk}).context["cl"].result_list
    ] == ["announce"]
    assert [e.action for e in admin_client.get(listing, {"action": "start"}).context["cl"].result_list] == ["start"]
    by_window = admin_client.get(listing, {"window__id__exact": window.pk}).context["cl"].result_list
    assert sorted(e.action for e in by_window) == ["announce", "start"]


def test_incidents_are_opened_and_updated_in_the_admin_with_audit_events(admin_client, manager, regions):
    response = admin_client.post(
        "/admin/maintenance/incident/add/",
        {
            "title": "Slow search",
            "regions": [regions["japan"].pk],
            "impact": "minor",
            "started_at_0": "2026-11-10",
            "started_at_1": "11:50:00",
            "first_update": "Search is slow.",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    incident = Incident.objects.get()
    assert list(incident.updates.values_list("status", "body")) == [("investigating", "Search is slow.")]
    response = admin_client.post(
        f"/admin/maintenance/incident/{incident.pk}/change/",
        {
            "title": "Slow search",
            "regions": [regions["japan"].pk, regions["india"].pk],
            "impact": "minor",
            "started_at_0": "2026-11-10",
            "started_at_1": "11:50:00",
            "updates-TOTAL_FORMS": "2",
            "updates-INITIAL_FORMS": "1",
            "updates-0-id": incident.updates.get().pk,
            "updates-0-incident": incident.pk,
            "updates-1-status": "resolved",
            "updates-1-body": "Fixed.",
            "updates-1-incident": incident.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    incident.refresh_from_db()
    assert (incident.status, incident.resolved_at) == ("resolved", NOW)
    assert sorted(incident.regions.values_list("slug", flat=True)) == ["india", "japan"]
    assert list(AuditEvent.objects.filter(incident=incident).order_by("id").values_list("action", "actor")) == [
        ("incident_open", manager.pk),
        ("incident_edit", manager.pk),
        ("incident_resolve", manager.pk),
    ]


def test_an_incident_cannot_be_moved_to_start_after_its_resolution(admin_client, regions):
    from maintenance import incidents

    incident = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", now=NOW - timedelta(hours=2))
    incidents.resolve(incident, now=NOW - timedelta(hours=1))
    response = admin_client.post(
        f"/admin/maintenance/incident/{incident.pk}/change/",
        {
            "title": "Slow",
            "regions": [regions["us"].pk],
            "impact": "minor",
            "started_at_0": "2026-11-10",
            "started_at_1": "11:30:00",
            "updates-TOTAL_FORMS": "0",
            "updates-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 200
    assert "An incident cannot start after it was resolved." in response.content.decode()


def test_the_reschedule_form_speaks_german(admin_client, window):
    with translation.override("en"):  # puts English back after the German request
        page = admin_client.get(f"{CHANGELIST}{window.pk}/reschedule/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Neuer Beginn (UTC)" in page and 'value="Verschieben"' in page and "Geplant" in page
