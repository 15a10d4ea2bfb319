"""Every sentence the public pages say about a window is true at each moment: before, during, during an overrun,
after (also after an early end) and once cancelled."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache

from maintenance import lifecycle, planning
from maintenance.models import Window
from tests.statuspage.conftest import NOW

JAPAN_NOV = "Saturday, Nov. 28, 2026"


def text(html):
    """The page as a reader sees it: no tags, single spaces."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    words = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    for spaced, tight in ((" ,", ","), (" :", ":"), ("( ", "("), (" )", ")")):
        words = words.replace(spaced, tight)
    return words


def page(client, path):
    cache.clear()  # only the clock moved: a cached copy would hide what the page says now
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


def region_block(html, slug):
    start = html.index(">", html.index(f'id="region-{slug}"')) + 1
    return html[start : html.index("</article>", start)]


def banner(html):
    start = html.index(">", html.index('class="overall')) + 1
    return text(html[start : html.index("</div>", start)])


def upcoming_ids(html):
    section = html[html.index('id="upcoming-heading"') : html.index('id="recent-heading"')]
    return [int(pk) for pk in re.findall(r'<tr><th scope="row"><a href="/windows/(\d+)/">', section)]


@pytest.fixture
def japan(regions, clock):
    planning.plan(NOW, 2)
    window = Window.objects.get(region=regions["japan"], month="2026-11-01")
    lifecycle.announce(window, now=NOW)
    clock.move_to(window.starts_at - timedelta(hours=1))
    return Window.objects.get(pk=window.pk)


def test_before_the_window_it_is_the_next_one_and_all_is_operational(client, japan):
    html = page(client, "/")
    assert banner(html) == "Overall: Operational"
    block = text(region_block(html, "japan"))
    assert "Japan Operational Next window Monthly release Confirmed Region time (Asia/Tokyo)" in block
    assert f"(Asia/Tokyo) {JAPAN_NOV}, 22:00 JST" in block
    assert "data-countdown" in region_block(html, "japan")
    assert '<span hidden data-countdown-words data-before="starts {when}"' in html  # said once for all regions
    assert upcoming_ids(html)[0] == japan.pk
    detail = page(client, f"/windows/{japan.pk}/")
    assert "data-countdown" in detail and "Confirmed" in text(detail)
    assert '<a href="/subscribe/?region=japan">Email notices for Japan</a>' in detail


def test_during_the_window_the_banner_names_the_region_and_its_end(client, japan, clock):
    clock.move_to(japan.starts_at + timedelta(minutes=5))
    lifecycle.start(japan)
    html = page(client, "/")
    assert banner(html) == (
        f"Overall: Under maintenance Japan: Under maintenance until {JAPAN_NOV}, 23:00 JST ({JAPAN_NOV}, 14:00 UTC)"
    )
    block = text(region_block(html, "japan"))
    assert block.startswith("Japan Under maintenance Current window Monthly release In progress")
    assert "Next window" not in block
    # The other regions say they are operational, and the banner said why the overall state is not.
    assert text(region_block(html, "eu-frankfurt")).startswith("EU (Frankfurt) Operational Next window")
    assert upcoming_ids(html)[0] == japan.pk
    detail = page(client, f"/windows/{japan.pk}/")
    assert 'data-during="ends {when}"' in detail and "In progress" in text(detail)


def test_an_extension_shows_the_new_end_in_the_banner_and_the_history(client, japan, clock):
    clock.move_to(japan.starts_at + timedelta(minutes=5))
    lifecycle.start(japan)
    lifecycle.extend(japan, 30, reason="Database migration is slow")
    html = page(client, "/")
    assert banner(html) == (
        f"Overall: Under maintenance Japan: Under maintenance until {JAPAN_NOV}, 23:30 JST ({JAPAN_NOV}, 14:30 UTC)"
    )
    detail = text(page(client, f"/windows/{japan.pk}/"))
    assert f"Extended (new end: {JAPAN_NOV}, 14:30 UTC) – Database migration is slow" in detail
    assert f"(now {JAPAN_NOV}, 13:00 UTC)" not in detail


def test_an_overrun_says_so_with_the_end_now_expected_and_then_the_end_missed(client, japan, clock):
    clock.move_to(japan.starts_at)
    lifecycle.start(japan)
    lifecycle.extend(japan, 30)
    clock.move_to(japan.starts_at + timedelta(minutes=70))  # past the promised 14:00, inside the extension
    html = page(client, "/")
    assert banner(html) == (
        "Overall: Maintenance overrunning Japan: Maintenance overrunning, "
        f"now expected to end {JAPAN_NOV}, 23:30 JST ({JAPAN_NOV}, 14:30 UTC)"
    )
    assert "Current window" in text(region_block(html, "japan"))
    clock.move_to(japan.starts_at + timedelta(minutes=100))  # past the extension too
    html = page(client, "/")
    assert banner(html) == (
        "Overall: Maintenance overrunning Japan: Maintenance overrunning, "
        f"was due to end {JAPAN_NOV}, 23:30 JST ({JAPAN_NOV}, 14:30 UTC)"
    )
    assert upcoming_ids(html)[0] == japan.pk  # still running, so still listed, first
    detail = page(client, f"/windows/{japan.pk}/")
    assert "Maintenance overrunning" in text(detail)
    assert 'data-after="was due to end {when}"' in detail


def test_after_an_early_end_no_countdown_and_the_window_leaves_the_upcoming_list(client, japan, clock):
    clock.move_to(japan.starts_at)
    lifecycle.start(japan)
    clock.move_to(japan.ends_at - timedelta(minutes=43))
    lifecycle.complete(japan)
    html = page(client, "/")
    assert banner(html) == "Overall: Operational"
    december = Window.objects.get(region=japan.region, month="2026-12-01")
    block = region_block(html, "japan")
    assert f'data-next-window="{december.pk}"' in block and "Next window" in text(block)
    assert japan.pk not in upcoming_ids(html)
    starts = list(Window.objects.filter(pk__in=upcoming_ids(html)).values_list("starts_at", flat=True))
    assert starts == sorted(starts)
    detail = page(client, f"/windows/{japan.pk}/")
    assert "data-countdown" not in detail  # the script would have said "(ends in 43 minutes)"
    assert "Completed" in text(detail)
    month = text(page(client, "/history/?month=2026-11"))
    assert f"Japan {JAPAN_NOV}, 22:00 JST {JAPAN_NOV}, 13:00 UTC Completed" in month


def test_a_cancelled_window_has_no_countdown_and_is_not_the_next_one(client, japan):
    lifecycle.cancel(japan, reason="Release moved")
    html = page(client, "/")
    assert f'data-next-window="{japan.pk}"' not in region_block(html, "japan")
    detail = page(client, f"/windows/{japan.pk}/")
    assert "data-countdown" not in detail
    assert "Cancelled – Release moved" in text(detail)
