"""The admin's release-night page: its rows and JSON, the notices' progress, confirmed buttons through the lifecycle,
permissions, refusals (pressed twice, changed by someone else, bad input), and the 12-month report with CSV."""

import csv
import io
import re
from datetime import UTC, datetime

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission, User

from maintenance import bounds, lifecycle, nightly, planning
from maintenance.models import AuditEvent, Region, Window
from notifications.models import Delivery, Subscriber

NIGHT = datetime(2026, 11, 28, 20, 17, 30, tzinfo=UTC)  # release night, 42.5 minutes before Frankfurt's 21:00 UTC
PAGE = "/admin/maintenance/window/night/"
DATA = "/admin/maintenance/window/night/data.json"
REPORT = "/admin/maintenance/window/night/report/"
REPORT_CSV = "/admin/maintenance/window/night/report.csv"


@pytest.fixture(autouse=True)
def night_clock():
    with time_machine.travel(NIGHT, tick=False) as traveller:
        yield traveller


@pytest.fixture
def windows(db):
    planning.plan(datetime(2026, 11, 10, tzinfo=UTC), 2)
    night = {w.region.slug: w for w in nightly.night_windows(datetime(2026, 11, 28).date())}
    for window in night.values():
        if window.starts_at > NIGHT:
            lifecycle.announce(window, now=datetime(2026, 11, 10, tzinfo=UTC))
    return night


def _user(name, *groups, perms=()):
    user = User.objects.create_user(name, password="x", is_staff=True)
    for group in groups:
        user.groups.add(Group.objects.get(name=group))
    for codename in perms:
        user.user_permissions.add(Permission.objects.get(codename=codename))
    return user


@pytest.fixture
def manager_client(client, db):
    client.force_login(_user("rm", "Release managers"))
    return client


@pytest.fixture
def viewer(client, db):
    client.force_login(_user("watcher", perms=["view_window"]))
    return client


def action_url(window, action):
    return f"{PAGE}{window.pk}/{action}/"


def current_version(window):
    from maintenance.admin.night import version

    window.refresh_from_db()
    return version(window)


def row_html(response, window):
    html = response.content.decode()
    match = re.search(rf'<tr id="night-window-{window.pk}".*?</tr>', html, re.S)
    return match.group(0)


def test_page_lists_the_night_in_follow_the_sun_order_with_local_and_utc_times(manager_client, windows):
    response = manager_client.get(PAGE)
    assert response.status_code == 200
    html = response.content.decode()
    order = ["australia", "japan", "singapore", "india", "eu-frankfurt", "eu-ireland", "us"]
    positions = [html.index(f'id="night-window-{windows[slug].pk}"') for slug in order]
    assert positions == sorted(positions)
    frankfurt = row_html(response, windows["eu-frankfurt"])
    assert "Sat 22:00–23:00 CET" in frankfurt and "Sat 21:00–22:00 UTC" in frankfurt
    assert "starts in 0:42:30" in frankfurt
    assert "Scheduled" in frankfurt
    us = row_html(response, windows["us"])
    assert "Sat 23:00–00:00 EST" in us and "Sun 04:00–05:00 UTC" in us
    # Windows already past their start but not started say so; none has notices yet.
    australia = row_html(response, windows["australia"])
    assert "due to start 9:17:30 ago" in australia and "no notices" in australia


def test_page_loads_its_script_and_style_from_files_under_the_csp(manager_client, windows):
    response = manager_client.get(PAGE)
    html = response.content.decode()
    assert '<script src="/static/offpeak/night.js" defer></script>' in html
    assert '<link rel="stylesheet" href="/static/offpeak/night.css">' in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)  # no inline script
    assert " style=" not in html and "<style" not in html
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_buttons_follow_the_state_and_carry_the_version(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    response = manager_client.get(PAGE)
    row = row_html(response, frankfurt)
    labels = re.findall(r'class="button" href="[^"]*">([^<]+)</a>', row)
    assert labels == ["Start", "Extend", "Cancel"]
    version = current_version(frankfurt).replace(".", r"\.")
    assert re.search(rf'href="{PAGE}{frankfurt.pk}/start/\?version={version}&amp;date=2026-11-28"', row)


def test_viewer_sees_the_page_without_buttons_and_cannot_act(viewer, windows):
    frankfurt = windows["eu-frankfurt"]
    response = viewer.get(PAGE)
    assert response.status_code == 200
    assert 'class="button"' not in response.content.decode()
    assert viewer.get(DATA).json()["windows"][0]["actions"] == []
    assert viewer.get(action_url(frankfurt, "start")).status_code == 403
    response = viewer.post(action_url(frankfurt, "start"), {"version": current_version(frankfurt)})
    assert response.status_code == 403
    frankfurt.refresh_from_db()
    assert frankfurt.status == Window.Status.SCHEDULED


def test_staff_without_view_permission_is_refused_and_anonymous_is_sent_to_log_in(client, windows):
    assert client.get(PAGE).status_code == 302
    assert client.get(DATA).status_code == 302
    client.force_login(_user("nobody"))
    for url in (PAGE, DATA, REPORT, REPORT_CSV):
        assert client.get(url).status_code == 403, url


def test_json_gives_states_countdown_targets_progress_and_actions(
    manager_client, windows, django_assert_max_num_queries
):
    frankfurt = windows["eu-frankfurt"]
    subscribers = [
        Subscriber.objects.create(email=f"s{i}@example.com", state="confirmed", created_at=NIGHT) for i in range(4)
    ]
    for subscriber, status in zip(subscribers, ["sent", "sent", "pending", "failed"], strict=True):
        Delivery.objects.create(
            window=frankfurt, subscriber=subscriber, kind="announcement", sequence=1, status=status, created_at=NIGHT
        )
    Delivery.objects.create(
        window=frankfurt, subscriber=subscribers[0], kind="started", sequence=1, status="pending", created_at=NIGHT
    )
    with django_assert_max_num_queries(9):  # with the webhooks and chat messages of the night's windows
        data = manager_client.get(DATA).json()
    assert data["now"] == "2026-11-28T20:17:30+00:00" and data["date"] == "2026-11-28"
    by_slug = {w["slug"]: w for w in data["windows"]}
    assert [w["slug"] for w in data["windows"]][0] == "australia"
    entry = by_slug["eu-frankfurt"]
    assert entry["status"] == "scheduled" and entry["overrun"] is False
    assert entry["countdown"] == {
        "kind": "starts",
        "target": "2026-11-28T21:00:00+00:00",
        "seconds": 2550,
        "text": "starts in 0:42:30",
    }
    assert entry["local_start"] == "2026-11-28T22:00:00+01:00" and entry["zone"] == "Europe/Berlin"
    assert [(p["kind"], p["sent"], p["pending"], p["failed"], p["total"]) for p in entry["progress"]] == [
        ("announcement", 2, 1, 1, 4),
        ("started", 0, 1, 0, 1),
    ]
    assert entry["progress"][0]["text"] == "Announcement: 2 of 4 sent, 1 pending, 1 failed"
    assert [a["action"] for a in entry["actions"]] == ["start", "extend", "cancel"]
    assert by_slug["japan"]["progress"] == []


def test_json_shows_an_overrun_plainly(manager_client, windows, clock):
    frankfurt = windows["eu-frankfurt"]
    lifecycle.start(frankfurt, now=datetime(2026, 11, 28, 21, tzinfo=UTC))
    clock.move_to(datetime(2026, 11, 28, 22, 4, tzinfo=UTC))
    entry = {w["slug"]: w for w in manager_client.get(DATA).json()["windows"]}["eu-frankfurt"]
    assert entry["overrun"] is True
    assert entry["countdown"]["kind"] == "overrun" and entry["countdown"]["text"] == "OVERRUNNING by 0:04:00"
    assert [a["action"] for a in entry["actions"]] == ["complete", "extend"]
    assert "night-overrun" in row_html(manager_client.get(PAGE), frankfurt)


def test_start_asks_first_then_goes_through_the_lifecycle(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    version = current_version(frankfurt)
    response = manager_client.get(action_url(frankfurt, "start") + f"?version={version}")
    assert response.status_code == 200
    html = response.content.decode()
    assert "subscribers who asked for it are told it has started" in html
    assert f'name="version" value="{version}"' in html
    frankfurt.refresh_from_db()
    assert frankfurt.status == Window.Status.SCHEDULED  # a GET changes nothing
    response = manager_client.post(action_url(frankfurt, "start"), {"version": version, "reason": "go"})
    assert response.status_code == 303 and response["Location"] == PAGE + "?date=2026-11-28"
    frankfurt.refresh_from_db()
    assert (frankfurt.status, frankfurt.actual_start) == (Window.Status.IN_PROGRESS, NIGHT)
    event = AuditEvent.objects.filter(window=frankfurt).first()
    assert (event.action, event.actor_label, event.reason) == ("start", "rm", "go")
    page = manager_client.get(PAGE)
    assert "EU (Frankfurt)" in [str(m) for m in page.context["messages"]][0]
    assert "ends in 1:42:30" in row_html(page, frankfurt)


def test_starting_a_planned_window_warns_it_counts_against_the_sla(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    Window.objects.filter(pk=frankfurt.pk).update(status=Window.Status.PLANNED)
    response = manager_client.get(action_url(frankfurt, "start"))
    assert "It was never announced, so its time counts as downtime against the SLA." in response.content.decode()


def test_pressed_twice_the_second_press_is_refused_with_409_and_changes_nothing(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    version = current_version(frankfurt)
    assert manager_client.post(action_url(frankfurt, "start"), {"version": version}).status_code == 303
    events = AuditEvent.objects.count()
    after = current_version(frankfurt)
    response = manager_client.post(action_url(frankfurt, "start"), {"version": version})
    assert response.status_code == 409
    assert (
        "The window changed since the page was loaded: rm did “start” at 20:17:30 UTC; it is now in progress. "
        "Nothing was done" in response.content.decode()
    )
    assert AuditEvent.objects.count() == events and current_version(frankfurt) == after


def test_a_window_another_manager_just_changed_is_refused_with_the_reason(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    version = current_version(frankfurt)
    other = _user("alice", "Release managers")
    lifecycle.start(frankfurt, actor=other)
    after = current_version(frankfurt)
    response = manager_client.post(action_url(frankfurt, "cancel"), {"version": version})
    assert response.status_code == 409
    html = response.content.decode()
    assert "alice did “start” at 20:17:30 UTC; it is now in progress" in html
    assert 'value="Yes, Cancel"' not in html  # cancel is not offered on a running window
    assert current_version(frankfurt) == after


def test_an_action_the_lifecycle_refuses_is_409_with_its_reason(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    response = manager_client.post(action_url(frankfurt, "complete"), {"version": current_version(frankfurt)})
    assert response.status_code == 409
    assert "The window is scheduled, so it cannot be completed." in response.content.decode()
    frankfurt.refresh_from_db()
    assert frankfurt.status == Window.Status.SCHEDULED


def test_extend_pushes_the_end_back(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    response = manager_client.post(
        action_url(frankfurt, "extend"), {"version": current_version(frankfurt), "minutes": 15, "reason": "slow"}
    )
    assert response.status_code == 303
    frankfurt.refresh_from_db()
    assert frankfurt.ends_at == datetime(2026, 11, 28, 22, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("action", "data", "error"),
    [
        ("extend", {"minutes": 0}, "Ensure this value is greater than or equal to 1."),
        (
            "extend",
            {"minutes": bounds.MAX_EXTENSION_MINUTES + 1},
            f"Ensure this value is less than or equal to {bounds.MAX_EXTENSION_MINUTES}.",
        ),
        ("extend", {"minutes": "soon"}, "Enter a whole number."),
        ("start", {"reason": "line\r\nBcc: x"}, "A reason is one line, without line breaks or control characters."),
        ("cancel", {"reason": "x" * 501}, "Ensure this value has at most 500 characters (it has 501)."),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(manager_client, windows, action, data, error):
    frankfurt = windows["eu-frankfurt"]
    before = current_version(frankfurt)
    response = manager_client.post(action_url(frankfurt, action), {"version": before, **data})
    assert response.status_code == 400
    assert error in response.content.decode()
    assert current_version(frankfurt) == before


def test_a_press_without_the_version_is_refused(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    before = current_version(frankfurt)
    response = manager_client.post(action_url(frankfurt, "start"), {})
    assert response.status_code == 400 and "This field is required." in response.content.decode()
    assert current_version(frankfurt) == before


def test_unknown_action_or_window_is_404(manager_client, windows):
    frankfurt = windows["eu-frankfurt"]
    assert manager_client.get(action_url(frankfurt, "announce")).status_code == 404
    assert manager_client.post(f"{PAGE}999999/start/", {"version": "x"}).status_code == 404


def test_a_chosen_date_and_a_bad_date(manager_client, windows):
    response = manager_client.get(PAGE + "?date=2026-12-26")
    assert response.status_code == 200
    assert len(response.context["rows"]) == 7
    assert response.context["rows"][0]["window"].month.isoformat() == "2026-12-01"
    assert "No window is planned for 2026-11-27." in manager_client.get(PAGE + "?date=2026-11-27").content.decode()
    response = manager_client.get(PAGE + "?date=tomorrow")
    assert response.status_code == 400
    assert "&#x27;tomorrow&#x27; is not a date; use YYYY-MM-DD." in response.content.decode()
    response = manager_client.get(DATA + "?date=2026-13-01")
    assert response.status_code == 400 and response.json() == {"error": "'2026-13-01' is not a date; use YYYY-MM-DD."}


def test_changelist_links_to_the_night_and_the_report(manager_client, windows):
    html = manager_client.get("/admin/maintenance/window/").content.decode()
    assert f'href="{PAGE}"' in html and f'href="{REPORT}"' in html


def _run(window, start, end):
    lifecycle.start(window, now=start)
    lifecycle.complete(window, now=end)


def test_report_table_chart_and_csv(manager_client, windows, clock):
    _run(windows["eu-frankfurt"], datetime(2026, 11, 28, 21, tzinfo=UTC), datetime(2026, 11, 28, 22, 20, tzinfo=UTC))
    _run(windows["japan"], datetime(2026, 11, 28, 13, 10, tzinfo=UTC), datetime(2026, 11, 28, 13, 55, tzinfo=UTC))
    lifecycle.cancel(windows["india"], now=datetime(2026, 11, 20, tzinfo=UTC))
    clock.move_to(datetime(2026, 11, 30, tzinfo=UTC))
    response = manager_client.get(REPORT)
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(
        r'<tr data-region="eu-frankfurt">\s*<th scope="row">EU \(Frankfurt\)</th>\s*'
        r"<td>1</td><td>1</td><td>0</td>\s*<td>60</td><td>80</td>\s*<td>1</td><td>20</td>\s*<td>0</td><td>0</td>",
        html,
    )
    assert "<svg" in html and html.count('class="bar-overrun"') == 7
    assert "Download CSV" in html
    response = manager_client.get(REPORT_CSV)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="release-windows-202611.csv"'
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.content.decode()))}
    assert rows["region"] == nightly.REPORT_HEADER
    assert rows["eu-frankfurt"] == ["eu-frankfurt", "EU (Frankfurt)", "2025-12", "2026-11"] + [
        "1",
        "1",
        "0",
        "60",
        "80",
        "1",
        "20",
        "0",
        "0",
    ]
    assert rows["japan"][4:] == ["1", "1", "0", "60", "45", "0", "0", "1", "10"]
    assert rows["india"][4:] == ["1", "0", "1", "0", "0", "0", "0", "0", "0"]


def test_report_csv_is_safe_to_open_in_a_spreadsheet(manager_client, windows):
    Region.objects.filter(slug="japan").update(name='=HYPERLINK("http://evil.example","x")')
    rows = list(csv.reader(io.StringIO(manager_client.get(REPORT_CSV).content.decode())))
    assert ["japan", '\'=HYPERLINK("http://evil.example","x")'] in [row[:2] for row in rows]
    html = manager_client.get(REPORT).content.decode()
    assert "=HYPERLINK(&quot;http://evil.example&quot;,&quot;x&quot;)" in html
