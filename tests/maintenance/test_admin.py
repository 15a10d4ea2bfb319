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
        "add_channel",
        "add_freeze",
        "add_incident",
        "add_incidentupdate",
        "change_channel",
        "change_freeze",
        "change_incident",
        "change_webhooksubscription",
        "change_window",
        "delete_channel",
        "delete_freeze",
        "manage_windows",
        "view_auditevent",
        "view_channel",
        "view_endpointdelivery",
        "view_freeze",
        "view_incident",
        "view_incidentupdate",
        "view_region",
        "view_webhooksubscription",
        "view_window",
    ]


ACTION_CASES = [(case, expected) for case, expected in CASES if case[1] in ADMIN_ACTIONS]


@pytest.mark.parametrize(("case", "expected"), ACTION_CASES, ids=[f"{s}-{a}" for (s, a), _ in ACTION_CASES])
def test_every_transition_through_the_admin_action(admin_client, manager, window, case, expected):
    from_state, action = case
    window = bring_to(window, from_state)
    # Confirmed as the pages ask: announce anyway, start early (NOW is weeks ahead) with a reason, cancel.
    confirmed = {"confirm": "yes", "force": "on", "reason": "test"}
    response = admin_client.post(
        CHANGELIST, {"action": ADMIN_ACTIONS[action], "_selected_action": [window.pk], **confirmed}, follow=True
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
        CHANGELIST,
        {"action": "announce_windows", "_selected_action": [window.pk, us.pk], "confirm": "yes"},
        follow=True,
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
    assert "New start (Europe/Berlin)" in admin_client.get(url).content.decode()
    # Frankfurt's wall-clock time (CET, UTC+1): 22:00 there is 21:00 UTC.
    response = admin_client.post(
        url, {"starts_at": "2026-12-05 22:00", "ends_at": "2026-12-05 22:45", "reason": "Freeze week"}, follow=True
    )
    assert response.redirect_chain[-1][0] == f"{CHANGELIST}{window.pk}/change/"
    # The message shows the new time, in the region's zone and in UTC.
    assert texts(response) == [
        "EU (Frankfurt) 2026-12-05 21:00 UTC: Rescheduled. "
        "Now Sat 2026-12-05 22:00–22:45 CET (Europe/Berlin), Sat 2026-12-05 21:00–21:45 UTC."
    ]
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
    assert f"/admin/maintenance/window/{window.pk}/reschedule/" in page
    assert f"/admin/maintenance/window/{window.pk}/extend/" not in page  # a planned window cannot be extended yet
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
        {"month": "2026-11-01", "region": regions["eu-frankfurt"].pk, "reason": "Year-end freeze", "confirm": "yes"},
    )
    assert response.status_code == 302
    assert Freeze.objects.get().region == regions["eu-frankfurt"]
    assert Window.objects.get(pk=window.pk).status == "cancelled"
    assert Window.objects.filter(month="2026-11-01", status="planned").count() == len(regions) - 1


def test_freezing_a_month_for_all_regions_keeps_announced_windows_and_warns(admin_client, regions, window):
    bring_to(window, "scheduled")
    response = admin_client.post(
        "/admin/maintenance/freeze/add/", {"month": "2026-11-01", "reason": "All", "confirm": "yes"}, follow=True
    )
    assert f"{window} is already announced or running; cancel it yourself if it must not happen." in texts(response)
    assert set(Window.objects.filter(month="2026-11-01").values_list("status", flat=True)) == {"cancelled", "scheduled"}


def test_audit_log_admin_is_read_only_and_filterable(admin_client, manager, window):
    lifecycle.announce(window, actor=manager, now=NOW)
    lifecycle.start(window, now=window.starts_at)
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
    assert "Neuer Beginn (Europe/Berlin)" in page and 'value="Verschieben"' in page and "Geplant" in page


# --- freezes ask first and can be lifted -----------------------------------------------------------------


def test_a_new_freeze_shows_what_it_will_do_and_saves_nothing_until_confirmed(admin_client, regions, window):
    announced = Window.objects.get(region__slug="us", month="2026-11-01")
    lifecycle.announce(announced, now=NOW)
    form = {"month": "2026-11-01", "region": "", "reason": "Year end"}
    page = admin_client.post("/admin/maintenance/freeze/add/", form)
    assert page.status_code == 200
    html = page.content.decode()
    assert f"{window}: will be cancelled (it is only planned)." in html
    assert f"{announced} is already announced or running; cancel it yourself if it must not happen." in html
    assert 'name="confirm"' in html and 'name="reason" value="Year end"' in html
    assert not Freeze.objects.exists() and Window.objects.get(pk=window.pk).status == "planned"
    assert not AuditEvent.objects.exclude(action="announce").exists()
    response = admin_client.post("/admin/maintenance/freeze/add/", {**form, "confirm": "yes"}, follow=True)
    assert f"{window}: cancelled, the month is frozen." in texts(response)
    assert Window.objects.get(pk=window.pk).status == "cancelled"
    assert AuditEvent.objects.get(action="freeze").actor_label == "release-manager"


def test_deleting_a_freeze_says_what_lifting_does_then_plans_the_windows_again(admin_client, regions, window):
    from maintenance import planning

    frozen = Freeze(month=window.month, region=window.region)
    planning.freeze(frozen, now=NOW)
    url = f"/admin/maintenance/freeze/{frozen.pk}/delete/"
    page = admin_client.get(url).content.decode()
    assert f"{window}: will be planned again." in page
    assert Window.objects.get(pk=window.pk).status == "cancelled"
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert f"{window}: planned again, the freeze is lifted." in texts(response)
    assert Window.objects.get(pk=window.pk).status == "planned" and not Freeze.objects.exists()
    assert AuditEvent.objects.get(window=window, action="restore").actor_label == "release-manager"
    assert AuditEvent.objects.get(action="lift").actor_label == "release-manager"
    # No bulk delete: lifting goes through the page that says what it restores.
    assert "delete_selected" not in admin_client.get("/admin/maintenance/freeze/").content.decode()


# --- a start weeks early asks for force and a reason --------------------------------------------------------


def test_the_start_action_asks_before_starting_a_window_weeks_early(admin_client, window):
    selected = {"action": "start_windows", "_selected_action": [window.pk]}
    page = admin_client.post(CHANGELIST, selected)
    assert page.status_code == 200
    assert f"{window} starts more than 60 minutes from now." in page.content.decode()
    assert Window.objects.get(pk=window.pk).status == "planned"
    refused = admin_client.post(CHANGELIST, {**selected, "confirm": "yes", "reason": "hotfix"})
    assert refused.status_code == 400 and Window.objects.get(pk=window.pk).status == "planned"
    no_reason = admin_client.post(CHANGELIST, {**selected, "confirm": "yes", "force": "on"})
    assert "Give a reason to start a window early." in no_reason.content.decode()
    response = admin_client.post(
        CHANGELIST, {**selected, "confirm": "yes", "force": "on", "reason": "hotfix"}, follow=True
    )
    assert texts(response) == [f"{window}: Started."]
    event = AuditEvent.objects.get(window=window, action="start")
    assert (event.reason, event.changes["forced"], event.actor_label) == ("hotfix", [False, True], "release-manager")


def test_the_start_button_on_a_window_page_asks_the_same(admin_client, window, clock):
    url = f"{CHANGELIST}{window.pk}/start/"
    assert "Start early" in admin_client.get(url).content.decode()
    refused = admin_client.post(url, {"reason": "hotfix"})
    assert refused.status_code == 400 and Window.objects.get(pk=window.pk).status == "planned"
    admin_client.post(url, {"reason": "hotfix", "force": "on"})
    assert Window.objects.get(pk=window.pk).status == "in_progress"


def test_within_the_lead_the_start_action_starts_without_asking(admin_client, manager, window, clock):
    clock.move_to(window.starts_at - timedelta(minutes=30))
    admin_client.force_login(manager)  # the session of 18 days ago has expired
    response = admin_client.post(CHANGELIST, {"action": "start_windows", "_selected_action": [window.pk]}, follow=True)
    assert texts(response) == [f"{window}: Started."]


# --- one release, one form; warnings before announcing without words --------------------------------------


def test_announcing_a_window_without_title_or_summary_warns_first(admin_client, regions, window):
    titled = Window.objects.get(region__slug="us", month="2026-11-01")
    titled.title, titled.release_summary = "Release 26.11", "Faster search."
    titled.save()
    selected = {"action": "announce_windows", "_selected_action": [window.pk, titled.pk]}
    page = admin_client.post(CHANGELIST, selected).content.decode()
    assert f"{window} has no title and no release summary." in page and str(titled) not in page.split("<ul>")[0]
    assert set(Window.objects.filter(pk__in=[window.pk, titled.pk]).values_list("status", flat=True)) == {"planned"}
    confirmed = admin_client.post(CHANGELIST, {**selected, "confirm": "yes"}, follow=True)
    assert sorted(texts(confirmed)) == sorted([f"{window}: Announced.", f"{titled}: Announced."])
    assert set(Window.objects.filter(pk__in=[window.pk, titled.pk]).values_list("status", flat=True)) == {"scheduled"}
    # Fully described windows are announced at once.
    other = Window.objects.get(region__slug="japan", month="2026-11-01")
    other.title, other.release_summary = "Release 26.11", "Faster search."
    other.save()
    response = admin_client.post(
        CHANGELIST, {"action": "announce_windows", "_selected_action": [other.pk]}, follow=True
    )
    assert texts(response) == [f"{other}: Announced."]


def test_the_announce_button_warns_about_a_missing_title(admin_client, window):
    window.release_summary = "Faster search."
    window.save()
    page = admin_client.get(f"{CHANGELIST}{window.pk}/announce/").content.decode()
    assert "has no title: it would be announced as “Monthly release”." in page
    admin_client.post(f"{CHANGELIST}{window.pk}/announce/", {"reason": "November"})
    assert Window.objects.get(pk=window.pk).status == "scheduled"


def test_one_form_sets_the_title_and_summary_of_a_release_in_each_language(admin_client, regions, window):
    chosen = list(Window.objects.filter(month="2026-11-01", region__slug__in=["eu-frankfurt", "us", "japan"]))
    selected = {"action": "set_release_texts", "_selected_action": [w.pk for w in chosen]}
    page = admin_client.post(CHANGELIST, selected).content.decode()
    assert "Release summary (Deutsch)" in page and 'name="apply"' in page
    response = admin_client.post(
        CHANGELIST,
        {
            **selected,
            "apply": "yes",
            "title": "Release 26.11",
            "release_summary": "Faster search.",
            "release_summary_de": "Schnellere Suche.",
            "reason": "release notes",
        },
        follow=True,
    )
    assert texts(response) == ["Title and release summary set for 3 windows."]
    for w in Window.objects.filter(pk__in=[w.pk for w in chosen]):
        assert (w.title, w.release_summary, w.release_summary_translations) == (
            "Release 26.11",
            "Faster search.",
            {"de": "Schnellere Suche."},
        )
        assert (w.summary_in("de"), w.summary_in("de-at"), w.summary_in("en"), w.summary_in("fr")) == (
            "Schnellere Suche.",
            "Schnellere Suche.",
            "Faster search.",
            "Faster search.",
        )
    event = AuditEvent.objects.get(window=window, action="edit")
    assert (event.actor_label, event.reason, event.changes["title"]) == (
        "release-manager",
        "release notes",
        ["", "Release 26.11"],
    )
    untouched = Window.objects.get(region__slug="india", month="2026-11-01")
    assert untouched.title == "" and not AuditEvent.objects.filter(window=untouched).exists()
    bad = admin_client.post(CHANGELIST, {**selected, "apply": "yes", "title": "two\nlines"})
    assert bad.status_code == 400


def test_the_change_form_edits_the_german_summary_and_audits_text_changes(admin_client, window):
    url = f"{CHANGELIST}{window.pk}/change/"
    assert "Release summary (Deutsch)" in admin_client.get(url).content.decode()
    response = admin_client.post(
        url,
        {
            "title": "November release",
            "release_summary": "Faster search.",
            "release_summary_de": "Schnellere Suche.",
            "audit_events-TOTAL_FORMS": "0",
            "audit_events-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    saved = Window.objects.get(pk=window.pk)
    assert saved.release_summary_translations == {"de": "Schnellere Suche."}
    assert AuditEvent.objects.get(window=window, action="edit").changes["release_summary"] == ["", "Faster search."]


# --- the list and the window page ------------------------------------------------------------------------


def test_the_list_shows_local_and_utc_times_in_24_hours_with_the_zone_and_the_title(admin_client, regions, window):
    window.title = "Release 26.11"
    window.save()
    html = admin_client.get(CHANGELIST).content.decode()
    assert "Sat 2026-11-28 22:00–23:00 CET (Europe/Berlin)" in html
    assert "Sat 2026-11-28 21:00–22:00 UTC" in html
    assert "Release 26.11" in html
    assert "p.m." not in html


def test_the_window_page_has_one_button_per_step_that_applies_now(admin_client, window):
    def buttons():
        html = admin_client.get(f"{CHANGELIST}{window.pk}/change/").content.decode()
        tools = html[html.index('class="object-tools"') : html.index("</ul>", html.index('class="object-tools"'))]
        return [
            verb for verb in ("announce", "start", "complete", "cancel", "reschedule", "extend") if f"/{verb}/" in tools
        ]

    assert buttons() == ["announce", "start", "cancel", "reschedule"]
    admin_client.post(f"{CHANGELIST}{window.pk}/announce/", {"reason": ""})
    assert buttons() == ["start", "cancel", "reschedule", "extend"]
    admin_client.post(f"{CHANGELIST}{window.pk}/start/", {"reason": "early", "force": "on"})
    assert buttons() == ["complete", "extend"]
    response = admin_client.post(f"{CHANGELIST}{window.pk}/complete/", {"reason": "done"}, follow=True)
    assert texts(response)[0].startswith(f"{window}: Completed.")
    assert buttons() == []


def test_the_cancel_button_says_subscribers_will_be_told(admin_client, window):
    lifecycle.announce(window, now=NOW)
    page = admin_client.get(f"{CHANGELIST}{window.pk}/cancel/").content.decode()
    assert "is announced: its subscribers will be sent the cancellation." in page
    admin_client.post(f"{CHANGELIST}{window.pk}/cancel/", {"reason": "release pulled"})
    assert AuditEvent.objects.get(window=window, action="cancel").reason == "release pulled"


def test_audit_entries_read_as_text_without_json_or_microseconds(admin_client, window, clock):
    clock.move_to(NOW + timedelta(microseconds=123456))
    lifecycle.announce(window, reason="November")
    for url in (f"{CHANGELIST}{window.pk}/change/", "/admin/maintenance/auditevent/"):
        html = admin_client.get(url).content.decode()
        assert "status: planned → scheduled" in html
        assert "announced ends at: — → 2026-11-28 22:00 UTC" in html
        assert "2026-11-10 12:00 UTC" in html
        assert "123456" not in html and '"status"' not in html and "T22:00:00" not in html
    event = AuditEvent.objects.get(action="announce")
    detail = admin_client.get(f"/admin/maintenance/auditevent/{event.pk}/change/").content.decode()
    assert "status: planned → scheduled" in detail and "123456" not in detail


def test_the_admin_is_titled_with_the_site_name(admin_client, settings):
    settings.SITE_NAME = "Acme Status"
    html = admin_client.get("/admin/").content.decode()
    assert "Acme Status administration" in html and "<title>Acme Status: release windows" in html
