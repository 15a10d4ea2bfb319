import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse

from maintenance import lifecycle, planning
from maintenance.models import Incident, Region, Window
from statuspage import caching
from tests.conftest import NOW


def region_block(html, slug):
    start = html.index(f'id="region-{slug}"')
    return html[start : html.index("</article>", start)]


def test_every_region_is_listed_with_its_state_in_display_order(client, history):
    html = client.get("/").content.decode()
    positions = [html.index(f'id="region-{slug}"') for slug in Region.objects.values_list("slug", flat=True)]
    assert positions == sorted(positions) and len(positions) == 7
    assert 'data-state="operational"' in region_block(html, "japan")
    assert "Overall: Operational" in html


def test_states_now_include_maintenance_overrunning_and_incidents(client, regions, clock):
    planning.plan(NOW, 2)
    japan = Window.objects.get(region=regions["japan"], month="2026-11-01")
    india = Window.objects.get(region=regions["india"], month="2026-11-01")
    clock.move_to(japan.starts_at - timedelta(days=2))
    lifecycle.announce(japan)
    lifecycle.announce(india)
    clock.move_to(india.starts_at)
    lifecycle.start(japan, now=japan.starts_at)
    lifecycle.start(india)
    clock.move_to(japan.ends_at + timedelta(minutes=10))  # Japan is overrunning, India still inside its hour
    outage = Incident.objects.create(
        title="Storage down", impact=Incident.Impact.CRITICAL, started_at=japan.ends_at, status="identified"
    )
    outage.regions.set([regions["singapore"]])
    slow = Incident.objects.create(title="Slow", impact=Incident.Impact.MINOR, started_at=japan.ends_at)
    slow.regions.set([regions["us"]])
    html = client.get("/").content.decode()
    assert 'data-state="overrunning"' in region_block(html, "japan")
    assert "Maintenance overrunning" in region_block(html, "japan")
    assert 'data-state="major_outage"' in region_block(html, "singapore")
    assert 'data-state="degraded_performance"' in region_block(html, "us")
    assert 'data-state="operational"' in region_block(html, "australia")
    assert "Overall: Major outage" in html
    assert india.ends_at > japan.ends_at + timedelta(minutes=10) or 'data-state="under_maintenance"' in html


def test_a_window_in_progress_inside_its_hour_is_under_maintenance(client, regions, clock):
    planning.plan(NOW, 1)
    window = Window.objects.get(region=regions["eu-frankfurt"], month="2026-11-01")
    clock.move_to(window.starts_at + timedelta(minutes=5))
    lifecycle.start(window)
    block = region_block(client.get("/").content.decode(), "eu-frankfurt")
    assert 'data-state="under_maintenance"' in block and "Under maintenance" in block


def test_next_window_shows_region_time_utc_and_a_viewer_slot(client, history):
    block = region_block(client.get("/").content.decode(), "japan")
    # 28 Nov 2026, 22:00 in Tokyo is 13:00 UTC.
    assert "Saturday, Nov. 28, 2026, 22:00 JST" in block
    assert "Saturday, Nov. 28, 2026, 13:00 UTC" in block
    assert 'data-viewer-time="2026-11-28T13:00:00Z"' in block
    assert 'data-start="2026-11-28T13:00:00Z" data-end="2026-11-28T14:00:00Z"' in block
    assert "data-viewer hidden" in block  # shown only when the script runs
    assert "Tentative" in block


def upcoming_rows(html):
    section = html[html.index('id="upcoming-heading"') : html.index('id="recent-heading"')]
    return re.findall(
        r'<tr><th scope="row"><a href="/windows/(\d+)/">.*?<span class="tag t-(\w+)">(\w+)</span>', section, re.S
    )


def test_upcoming_lists_three_months_tentative_and_confirmed(client, history):
    december_japan = Window.objects.get(region__slug="japan", month="2026-12-01")
    lifecycle.announce(december_japan)
    rows = upcoming_rows(client.get("/").content.decode())
    shown = Window.objects.filter(pk__in=[int(pk) for pk, _, _ in rows])
    assert {w.month.isoformat() for w in shown} == {"2026-11-01", "2026-12-01", "2027-01-01"}
    assert len(rows) == 21
    labels = {int(pk): (status, label) for pk, status, label in rows}
    assert labels[december_japan.pk] == ("scheduled", "Confirmed")
    assert {label for pk, (status, label) in labels.items() if pk != december_japan.pk} == {"Tentative"}


def test_a_cancelled_window_is_marked_and_is_no_longer_the_next_one(client, history):
    window = Window.objects.get(region__slug="us", month="2026-11-01")
    lifecycle.cancel(window)
    html = client.get("/").content.decode()
    assert (str(window.pk), "cancelled", "Cancelled") in upcoming_rows(html)
    december = Window.objects.get(region__slug="us", month="2026-12-01")
    assert f'data-next-window="{december.pk}"' in region_block(html, "us")


def test_recent_section_lists_the_last_30_days_windows_and_incidents(client, history, regions):
    recent_outage = Incident.objects.create(
        title="Queue backlog",
        impact=Incident.Impact.MAJOR,
        status=Incident.Status.RESOLVED,
        started_at=NOW - timedelta(days=3),
        resolved_at=NOW - timedelta(days=3) + timedelta(hours=1),
    )
    recent_outage.regions.set([regions["japan"], regions["us"]])
    html = client.get("/").content.decode()
    recent = html[html.index('id="recent-heading"') : html.index('id="calendars-heading"')]
    past = Window.objects.filter(starts_at__gte=NOW - timedelta(days=30), starts_at__lt=NOW)
    assert past.count() == 7  # the October release night
    for window in past:
        assert f'href="/windows/{window.pk}/"' in recent
    september = Window.objects.get(region__slug="japan", month="2026-09-01")
    assert f'href="/windows/{september.pk}/"' not in recent  # in its bar, its details and the history
    assert f'id="incident-{recent_outage.pk}"' in recent
    assert "United States, Japan · Saturday, Nov. 7, 2026, 12:00–13:00 UTC" in recent
    assert "Slow logins" not in recent  # 36 days ago: in the Frankfurt and Ireland bars, and in the history
    assert '<a href="/history/">' in recent


def overview_row(html, slug):
    start = html.index(f'<tr id="overview-{slug}">')
    return html[start : html.index("</tr>", start)]


def bars(html, slug):
    """``{state: [(first day, days)]}`` from the region's bar: the days are counted from 89 days ago (0) to today."""
    runs = {}
    for state, data in re.findall(r'<path class="s-(\w+)" d="([^"]+)">', overview_row(html, slug)):
        runs[state] = [(int(first), int(days)) for first, days in re.findall(r"M(\d+) \.5h(\d+)", data)]
    return runs


def test_ninety_day_bars_draw_each_run_of_equal_days_once_coloured_by_the_worst_state(client, history):
    html = client.get("/").content.decode()
    row = overview_row(html, "japan")
    assert 'viewBox="0 0 90 1"' in row and '<rect class="s-operational" width="90" height="1"/>' in row
    # Today is Tuesday 10 November in Tokyo (day 89), so day 0 is Thursday 13 August.
    assert bars(html, "japan") == {
        "under_maintenance": [(16, 1), (44, 1)],  # Saturday 29 August and Saturday 26 September
        "overrunning": [(79, 1)],  # the late October window, Saturday 31 October
    }
    assert bars(html, "eu-frankfurt")["degraded_performance"] == [(53, 1)]  # Monday 5 October: slow logins
    assert "<title>Under maintenance: 2 days</title>" in row and "<title>Maintenance overrunning: 1 day</title>" in row
    assert row.count("<path") == 2 and "<title>Operational" not in row


def test_a_run_of_days_in_one_state_is_one_stroke(client, history, regions):
    incident = Incident.objects.create(
        title="Replication lag",
        impact=Incident.Impact.MAJOR,
        status=Incident.Status.RESOLVED,
        started_at=datetime(2026, 11, 1, 0, 0, tzinfo=UTC),
        resolved_at=datetime(2026, 11, 3, 12, 0, tzinfo=UTC),
    )
    incident.regions.set([regions["india"]])
    # 1 to 3 November in Kolkata are days 80 to 82 of the bar.
    assert bars(client.get("/").content.decode(), "india")["partial_outage"] == [(80, 3)]


def test_bars_have_an_accessible_name_and_the_days_are_listed_in_words(client, history):
    html = client.get("/").content.decode()
    assert 'role="img" aria-label="Japan: 3 of the last 90 days with maintenance or trouble"' in overview_row(
        html, "japan"
    )
    block = region_block(html, "japan")
    assert "<summary>3 days with maintenance or trouble</summary>" in block
    assert "<dt>Maintenance overrunning</dt><dd>October: 31</dd>" in block
    assert "<dt>Under maintenance</dt><dd>August: 29; September: 26</dd>" in block
    assert "<dt>Degraded performance</dt><dd>October: 5</dd>" in region_block(html, "eu-frankfurt")


def test_query_count_does_not_grow_with_data(client, regions, django_assert_max_num_queries):
    """7 regions with 24 months of windows and 50 incidents, then twice as many: the same few queries."""

    def load(first_month, incidents, offset):
        planning.plan(first_month, 24)
        for n in range(incidents):
            incident = Incident.objects.create(
                title=f"Incident {n}",
                impact=list(Incident.Impact)[n % 3],
                status=Incident.Status.RESOLVED,
                started_at=NOW - timedelta(days=offset + n % 80, hours=1),
                resolved_at=NOW - timedelta(days=offset + n % 80),
            )
            incident.regions.set(list(regions.values())[: 1 + n % 7])

    def render():
        cache.clear()
        caching.reset_fingerprint()
        with time_machine.travel(NOW, tick=False):
            with django_assert_max_num_queries(7) as queries:
                assert client.get("/").status_code == 200
        return len(queries.captured_queries)

    load(datetime(2025, 12, 15, tzinfo=UTC), 50, 0)
    assert (Window.objects.count(), Incident.objects.count()) == (7 * 24, 50)
    small = render()
    load(datetime(2023, 12, 15, tzinfo=UTC), 50, 40)
    assert (Window.objects.count(), Incident.objects.count()) == (7 * 48, 100)
    large = render()
    # The content version's fingerprint, then regions, windows, incidents and the incidents' regions.
    assert small == large == 5


def test_a_cached_page_costs_no_query(client, history, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        assert client.get("/").status_code == 200


def test_a_change_another_process_made_shows_within_the_fingerprint_interval(client, history, regions):
    """No signal reaches this process (as with a per-process cache): the table fingerprint notices."""
    client.get("/")
    Window.objects.filter(region__slug="india", month="2026-11-01").update(title="Kernel upgrade")
    assert "Kernel upgrade" not in client.get("/").content.decode()  # the same counter and fingerprint
    Window.objects.filter(region__slug="india", month="2026-11-01").update(updated_at=NOW + timedelta(seconds=1))
    caching.reset_fingerprint()  # as VERSION_SECONDS passing does
    assert "Kernel upgrade" in client.get("/").content.decode()


def test_a_change_shows_at_once_despite_the_cache(client, history, regions):
    assert 'data-state="operational"' in region_block(client.get("/").content.decode(), "australia")
    incident = Incident.objects.create(title="Network", impact=Incident.Impact.MAJOR, started_at=NOW)
    incident.regions.set([regions["australia"]])
    assert 'data-state="partial_outage"' in region_block(client.get("/").content.decode(), "australia")
    window = Window.objects.get(region__slug="australia", month="2026-11-01")
    lifecycle.announce(window)
    block = region_block(client.get("/").content.decode(), "australia")
    assert "Confirmed" in block
    region = Region.objects.get(slug="australia")
    region.name = "Australia (Sydney)"
    region.save()
    assert "Australia (Sydney)" in client.get("/").content.decode()


def test_repeat_request_with_the_etag_gets_304(client, history):
    first = client.get("/")
    assert first["ETag"] and "max-age=15" in first["Cache-Control"]
    again = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert again.status_code == 304 and again.content == b""
    lifecycle.announce(Window.objects.get(region__slug="us", month="2026-11-01"))
    changed = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != first["ETag"]


def test_page_offers_https_and_webcal_calendar_links(client, history, settings):
    html = client.get("/").content.decode()
    assert 'href="webcal://127.0.0.1:8000/feeds/maintenance.ics"' in html
    assert 'href="http://127.0.0.1:8000/feeds/maintenance.ics"' in html
    assert 'href="webcal://127.0.0.1:8000/feeds/japan.ics"' in html


def test_page_is_complete_without_javascript_and_loads_no_third_party_asset(client, history):
    html = client.get("/").content.decode()
    assert "<script>" not in html and "onclick" not in html and " style=" not in html
    assert re.findall(r'<script src="([^"]+)"', html) == ["/static/offpeak/viewer.js"]
    assert re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) == ["/static/offpeak/site.css"]
    assert "<main" in html and "<nav" in html and "<header" in html and "<footer" in html


@pytest.mark.parametrize("accept", ["de", "de-DE,de;q=0.9,en;q=0.5"])
def test_accept_language_german_gives_the_page_in_german(client, history, accept):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE=accept)
    html = response.content.decode()
    assert response["Content-Language"] == "de"
    assert '<html lang="de">' in html
    assert "Systemstatus" in html and "Nächstes Wartungsfenster" in html
    assert "Samstag, 28. November 2026, 22:00 JST" in region_block(html, "japan")
    assert "Vorläufig" in html


def test_switcher_overrides_accept_language(client, history):
    response = client.post(reverse("set_language"), {"language": "de", "next": "/history/"})
    assert response.status_code == 302 and response["Location"] == "/history/"
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert '<html lang="de">' in html
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert '<html lang="en">' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_switcher_is_a_labelled_form_posting_to_set_language(client, history):
    html = client.get("/").content.decode()
    assert '<form class="language" action="/i18n/setlang/" method="post">' in html
    assert '<label for="language-select">Language</label>' in html
    assert '<option value="de" lang="de">Deutsch</option>' in html


def test_query_strings_share_the_cached_page(client, history, django_assert_num_queries):
    client.get("/")
    with django_assert_num_queries(0):
        response = client.get("/", {"utm_source": "mail"})
    assert response.status_code == 200
    assert '<input type="hidden" name="next" value="/">' in response.content.decode()
