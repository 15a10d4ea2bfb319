"""The top of the status page in a real browser: seven regions on a laptop's first screen, the viewer's own time in
the overview, and the follow-the-sun strip with its bars at the right UTC hours and the viewer's midnight, in light
and dark mode, with and without JavaScript, and no accessibility violation."""

from datetime import UTC, datetime, time
from pathlib import Path

import pytest
import time_machine

from maintenance.models import Region
from tests.statuspage.page_cost import load_page_data

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# A Tuesday; the next release Saturday is 28 November 2026.
NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
LAPTOP = {"width": 1366, "height": 768}
# Where a bar's left edge sits, in the strip's own units: a 150-unit label column, then 840 units for 24 hours.
EXPECTED = {
    "australia": [(11, 0)],  # 22:00 AEDT = 11:00 UTC
    "japan": [(13, 0)],  # 22:00 JST
    "singapore": [(14, 0)],  # 22:00 SGT
    "india": [(16.5, 0)],  # 22:00 IST
    "eu-frankfurt": [(21, 0)],  # 22:00 CET
    "eu-ireland": [(23.5, 0), (0, 1)],  # 23:30 GMT: across midnight UTC, so two bars
    "us": [(4, 1)],  # 23:00 EST = 04:00 UTC on Sunday
}


@pytest.fixture
def site(transactional_db):
    """The data the page's goals are stated for (a quarter of run windows, 50 incidents), Ireland at 23:30."""
    with time_machine.travel(NOW, tick=True):
        Region.objects.filter(slug="eu-ireland").update(offpeak_start=time(23, 30))
        load_page_data(NOW)
        yield


@pytest.fixture
def frozen(site):
    """The live server answers as of NOW (time flows on from there), so the strip shows a known night."""
    with time_machine.travel(NOW, tick=True):
        yield


def open_page(browser, live_server, *, scheme="light", zone="Europe/Berlin", javascript=True):
    context = browser.new_context(
        viewport=LAPTOP, color_scheme=scheme, timezone_id=zone, locale="en-US", java_script_enabled=javascript
    )
    page = context.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    if AXE.exists():
        page.add_init_script(path=str(AXE))
    page.goto(live_server.url + "/", wait_until="networkidle")
    return context, page, problems


def bar_positions(page):
    """``{slug: [(hour on the axis, day offset)]}`` measured from where the browser drew each bar."""
    found = page.evaluate(
        """() => {
          const picture = document.querySelector('svg.strip');
          const svg = picture.getBoundingClientRect();
          const units = picture.viewBox.baseVal.width / svg.width;
          return [...document.querySelectorAll('svg.strip rect.win')].map(r => {
            const box = r.getBoundingClientRect();
            return [r.dataset.region, (box.left - svg.left) * units, Number(r.dataset.dayOffset)];
          });
        }"""
    )
    out = {}
    for slug, x, offset in found:
        out.setdefault(slug, []).append((round((x - 150) / 35 * 4) / 4, offset))  # to the quarter hour
    return out


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_seven_regions_fit_on_a_laptops_first_screen_with_the_viewers_time(frozen, live_server, browser, scheme):
    context, page, problems = open_page(browser, live_server, scheme=scheme, zone="America/Los_Angeles")
    rows = page.locator("table.overview tbody tr")
    assert rows.count() == 7
    assert rows.nth(6).bounding_box()["y"] + rows.nth(6).bounding_box()["height"] <= LAPTOP["height"]
    japan = page.locator("#overview-japan")
    viewer = japan.locator("[data-viewer-short]")
    # 13:00 UTC on Saturday 28 November is 05:00 in Los Angeles, and the region's time and UTC are on hover.
    assert viewer.inner_text() == "Sat, Nov 28, 05:00 PST"
    assert viewer.get_attribute("title") == "Saturday, Nov. 28, 2026, 22:00 JST · 13:00 UTC"
    assert not japan.locator(".zone-times").is_visible()
    assert japan.locator("svg.bars").bounding_box()["width"] > 200
    # The bar's colours differ from the page's background in both schemes.
    colours = page.evaluate(
        """() => [getComputedStyle(document.querySelector('#overview-us svg.bars rect')).fill,
                  getComputedStyle(document.body).backgroundColor]"""
    )
    assert colours[0] != colours[1]
    assert problems == []
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_strip_draws_each_window_at_its_utc_hours_and_the_viewers_midnight(frozen, live_server, browser, scheme):
    context, page, problems = open_page(browser, live_server, scheme=scheme, zone="Asia/Tokyo")
    assert page.locator("#strip-heading").inner_text() == "Release night: Saturday, Nov. 28, 2026"
    assert bar_positions(page) == EXPECTED
    # Midnight in Tokyo is 15:00 UTC; "now" is 12:00 UTC (the test's clock).
    midnight = page.locator("svg.strip [data-viewer-midnight]")
    assert midnight.get_attribute("data-hour") == "15"
    marks = page.evaluate(
        """() => {
          const picture = document.querySelector('svg.strip');
          const svg = picture.getBoundingClientRect();
          const units = picture.viewBox.baseVal.width / svg.width;
          const at = s => (document.querySelector(s).getBoundingClientRect().left - svg.left) * units;
          return [at('svg.strip .midnight line'), at('svg.strip .now line')];
        }"""
    )
    assert marks[0] == pytest.approx(150 + 15 * 35, abs=2) and marks[1] == pytest.approx(150 + 12 * 35, abs=2)
    assert page.locator("svg.strip .midnight").is_visible()
    assert problems == []
    context.close()


def test_without_javascript_the_overview_shows_region_time_and_utc_and_the_strip_still_draws(
    frozen, live_server, browser
):
    context, page, _problems = open_page(browser, live_server, javascript=False)
    japan = page.locator("#overview-japan .zone-times")
    assert japan.is_visible()
    assert japan.inner_text().split("\n") == ["Saturday, Nov. 28, 2026, 22:00 JST", "13:00 UTC"]
    assert bar_positions(page) == EXPECTED
    assert not page.locator("svg.strip .midnight").is_visible()  # only the script knows the viewer's zone
    context.close()


@pytest.mark.skipif(
    not AXE.exists(), reason="needs axe-core from npm, which `make test` installs when npm is available"
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_overview_and_strip_have_no_axe_violations(frozen, live_server, browser, scheme):
    context, page, problems = open_page(browser, live_server, scheme=scheme)
    page.locator("details").first.evaluate("d => d.open = true")
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert violations == []
    assert problems == []
    context.close()


# Every layout shift the page makes, as the browser reports it (Lighthouse's cumulative layout shift adds them up).
LAYOUT_SHIFTS = """
window.layoutShifts = [];
new PerformanceObserver(list => list.getEntries().forEach(entry => window.layoutShifts.push(entry.value)))
  .observe({type: "layout-shift", buffered: true});
"""


@pytest.mark.parametrize("viewport", [LAPTOP, {"width": 412, "height": 823}], ids=["laptop", "phone"])
def test_nothing_moves_when_the_viewers_times_fill_in(frozen, live_server, browser, viewport):
    """viewer.js puts the viewer's one-line time where the overview shows the region's time over UTC: the rows keep
    their height and the column its width, so the page does not shift under the reader."""
    context = browser.new_context(viewport=viewport, timezone_id="America/Los_Angeles", locale="en-US")
    page = context.new_page()
    page.add_init_script(LAYOUT_SHIFTS)
    page.goto(live_server.url + "/", wait_until="networkidle")
    assert page.locator("#overview-japan [data-viewer-short]").inner_text() == "Sat, Nov 28, 05:00 PST"
    assert page.evaluate("() => window.layoutShifts") == []
    context.close()
