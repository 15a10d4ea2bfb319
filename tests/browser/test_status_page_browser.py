"""The status page in a real browser: the viewer's own time, the language switch, and a clean console."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from maintenance import planning
from maintenance.models import Region, Window

GERMAN_MONTHS = "Januar Februar März April Mai Juni Juli August September Oktober November Dezember".split()
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def next_japan_window(db):
    planning.plan(timezone.now(), 3)
    region = Region.objects.get(slug="japan")
    return Window.objects.filter(region=region, ends_at__gt=timezone.now()).order_by("starts_at").first()


def open_page(browser, live_server, zone, problems):
    context = browser.new_context(timezone_id=zone, locale="en-US")
    page = context.new_page()
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("requestfailed", lambda request: problems.append(f"failed: {request.url}"))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status}: {response.url}") if response.status >= 400 else None,
    )
    page.goto(live_server.url + "/", wait_until="networkidle")
    return context, page


@pytest.mark.parametrize("zone", ["Asia/Tokyo", "America/Los_Angeles"])
def test_next_window_is_shown_in_the_viewers_time_with_a_countdown(next_japan_window, live_server, browser, zone):
    problems = []
    context, page = open_page(browser, live_server, zone, problems)
    local = next_japan_window.starts_at.astimezone(ZoneInfo(zone))
    viewer = page.locator("#region-japan [data-viewer-time]")
    page.locator("#region-japan [data-viewer]").wait_for(state="visible")
    text = viewer.inner_text()
    assert viewer.get_attribute("data-viewer-zone") == zone
    assert f"{local:%H:%M}" in text and str(local.day) in text and str(local.year) in text
    assert f"{local:%B}" in text  # the month, in words
    countdown = page.locator("#region-japan [data-countdown]").inner_text()
    assert countdown.startswith("(starts in ")
    # The server-rendered times are still there: the region's own and UTC.
    block = page.locator("#region-japan").inner_text()
    assert f"{next_japan_window.starts_at.astimezone(ZoneInfo('Asia/Tokyo')):%H:%M} JST" in block
    assert f"{next_japan_window.starts_at:%H:%M} UTC" in block
    assert problems == []
    context.close()


def test_language_switch_turns_the_page_german_and_keeps_the_viewer_time(next_japan_window, live_server, browser):
    problems = []
    context, page = open_page(browser, live_server, "Europe/Berlin", problems)
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "System status"
    page.select_option("#language-select", "de")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "de"
    assert page.locator("h1").inner_text() == "Systemstatus"
    local = next_japan_window.starts_at.astimezone(ZoneInfo("Europe/Berlin"))
    text = page.locator("#region-japan [data-viewer-time]").inner_text()
    assert f"{local:%H:%M}" in text and GERMAN_MONTHS[local.month - 1] in text
    assert page.locator("#region-japan [data-countdown]").inner_text().startswith("(beginnt in ")
    page.select_option("#language-select", "en")
    with page.expect_navigation():
        page.get_by_role("button", name="Sprache wechseln").click()
    assert page.locator("h1").inner_text() == "System status"
    assert problems == []
    context.close()
