"""The top of the status page: one overview row per region, then the follow-the-sun strip of the next release."""

import re
from datetime import time, timedelta

import pytest

from maintenance import lifecycle, planning
from maintenance.models import Region, Window
from tests.conftest import NOW


def overview_rows(html):
    table = html[
        html.index('<table class="overview">') : html.index("</table>", html.index('<table class="overview">'))
    ]
    return re.findall(r'<tr id="overview-([\w-]+)">(.*?)</tr>', table, re.S)


def strip_section(html):
    start = html.index('id="strip-heading"')
    return html[start : html.index("</section>", start)]


def rects(html):
    """``{slug: [(x, width, day offset)]}`` of the strip's bars."""
    found = {}
    pattern = (
        r'<rect class="win t-(\w+)" data-region="([\w-]+)" data-day-offset="(-?\d+)" x="([\d.]+)" y="[\d.]+" '
        r'width="([\d.]+)"'
    )
    for _status, slug, offset, x, width in re.findall(pattern, strip_section(html)):
        found.setdefault(slug, []).append((float(x), float(width), int(offset)))
    return found


@pytest.fixture
def night(regions, clock):
    """Ireland starts at 23:30, so its November window (23:30 GMT = UTC) crosses midnight UTC."""
    Region.objects.filter(slug="eu-ireland").update(offpeak_start=time(23, 30))
    planning.plan(NOW, 3)


def test_overview_comes_first_with_one_row_per_region_in_display_order(client, night):
    html = client.get("/").content.decode()
    rows = overview_rows(html)
    assert [slug for slug, _row in rows] == list(Region.objects.values_list("slug", flat=True))
    assert html.index('<table class="overview">') < html.index('id="strip-heading"') < html.index('id="region-us"')
    japan = dict(rows)["japan"]
    assert '<a href="#region-japan">Japan</a>' in japan
    assert '<span class="state s-operational" data-state="operational">Operational</span>' in japan
    assert 'role="img" aria-label="Japan: 0 of the last 90 days with maintenance or trouble"' in japan


def test_overview_gives_the_next_window_in_region_time_and_utc_without_javascript(client, night):
    rows = dict(overview_rows(client.get("/").content.decode()))
    window = Window.objects.get(region__slug="japan", month="2026-11-01")
    assert (
        f'<a href="/windows/{window.pk}/"><span class="zone-times">Saturday, Nov. 28, 2026, 22:00 JST<br>'
        "<small>13:00 UTC</small></span>"
    ) in rows["japan"]
    assert 'data-viewer-short="2026-11-28T13:00:00Z"' in rows["japan"]  # the script puts the viewer's time here
    # New York's Saturday night is Sunday in UTC: the UTC date is said too.
    assert "Saturday, Nov. 28, 2026, 23:00 EST<br><small>Sunday, Nov. 29, 2026, 04:00 UTC</small>" in rows["us"]


def test_overview_says_now_for_a_running_window(client, night, clock):
    window = Window.objects.get(region__slug="eu-frankfurt", month="2026-11-01")
    clock.move_to(window.starts_at + timedelta(minutes=5))
    lifecycle.start(window)
    row = dict(overview_rows(client.get("/").content.decode()))["eu-frankfurt"]
    assert 'data-state="under_maintenance"' in row and '<td class="when">Now: <a href' in row


def test_strip_places_each_window_at_its_utc_hours_on_the_release_saturday(client, night):
    html = client.get("/").content.decode()
    section = strip_section(html)
    assert "Release night: Saturday, Nov. 28, 2026" in section
    bars = rects(html)
    hour = 840 / 24  # the axis starts at x=150 and is 840 wide
    assert bars["japan"] == [(150 + 13 * hour, hour, 0)]  # 22:00 JST = 13:00 UTC
    assert bars["australia"] == [(150 + 11 * hour, hour, 0)]  # 22:00 AEDT = 11:00 UTC
    assert bars["india"] == [(150 + 16.5 * hour, hour, 0)]  # 22:00 IST = 16:30 UTC
    assert bars["us"] == [(150 + 4 * hour, hour, 1)]  # 23:00 EST = 04:00 UTC on Sunday
    assert bars["eu-ireland"] == [(150 + 23.5 * hour, hour / 2, 0), (150, hour / 2, 1)]  # two bars across midnight
    assert section.count(">next day</text>") == 2
    assert f'<g class="now"><line x1="{150 + 12 * hour:g}"' in section  # NOW is 12:00 UTC
    assert "Now, 12:00 UTC" in section
    assert 'class="midnight" data-viewer-midnight' in section  # placed by the script in the viewer's zone


def test_strip_has_a_table_for_screen_readers(client, night):
    section = strip_section(client.get("/").content.decode())
    assert '<svg class="strip"' in section and 'aria-hidden="true"' in section
    table = section[section.index('<div class="visually-hidden"><table>') :]
    assert "<caption>The windows of the release night of Saturday, Nov. 28, 2026</caption>" in table
    assert (
        '<tr><th scope="row">EU (Ireland)</th><td>Saturday, Nov. 28, 2026, 23:30 UTC – '
        "Sunday, Nov. 29, 2026, 00:30 UTC</td><td>Saturday, Nov. 28, 2026, 23:30 GMT – Sunday, Nov. 29, 2026, "
        "00:30 GMT</td><td>Tentative</td></tr>"
    ) in table
    assert table.count('<tr><th scope="row">') == 7


def test_during_the_release_night_the_regions_already_done_stay_on_the_strip(client, night, clock):
    australia = Window.objects.get(region__slug="australia", month="2026-11-01")
    lifecycle.announce(australia, now=NOW)
    clock.move_to(australia.starts_at)
    lifecycle.start(australia)
    clock.move_to(australia.ends_at)
    lifecycle.complete(australia)
    clock.move_to(australia.ends_at + timedelta(hours=3))
    bars = rects(client.get("/").content.decode())
    assert len(bars) == 7 and bars["australia"] == [(150 + 11 * 840 / 24, 840 / 24, 0)]
    assert 'class="win t-completed" data-region="australia"' in strip_section(client.get("/").content.decode())


def test_a_cancelled_window_leaves_the_strip(client, night):
    lifecycle.cancel(Window.objects.get(region__slug="india", month="2026-11-01"))
    assert "india" not in rects(client.get("/").content.decode())


def test_no_strip_when_no_window_lies_ahead(client, regions, clock):
    html = client.get("/").content.decode()
    assert 'id="strip-heading"' not in html and "No window is planned." in html


def test_a_next_window_beyond_the_three_months_is_still_shown(client, regions, clock):
    """A change freeze: Japan's next three windows are cancelled, so its next one is in late February."""
    planning.plan(NOW, 6)
    for month in ("2026-11-01", "2026-12-01", "2027-01-01"):
        lifecycle.cancel(Window.objects.get(region__slug="japan", month=month))
    february = Window.objects.get(region__slug="japan", month="2027-02-01")
    assert february.starts_at - NOW > timedelta(days=92)
    html = client.get("/").content.decode()
    assert (
        f'<a href="/windows/{february.pk}/"><span class="zone-times">Saturday, Feb. 27, 2027, 22:00 JST'
        in dict(overview_rows(html))["japan"]
    )
    assert f'data-next-window="{february.pk}"' in html
