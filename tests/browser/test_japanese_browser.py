"""The status page switched to Japanese in a real browser: the page and the viewer's own time in Japanese."""

from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from maintenance import planning
from maintenance.models import Window
from tests.browser.test_status_page_browser import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def next_window(db):
    planning.plan(timezone.now(), 3)
    return Window.objects.filter(region__slug="japan", ends_at__gt=timezone.now()).order_by("starts_at").first()


def test_language_switch_turns_the_page_japanese_with_japanese_dates(next_window, live_server, browser):
    problems = []
    context, page = open_page(browser, live_server, "Asia/Tokyo", problems)
    page.select_option("#language-select", "ja")
    with page.expect_navigation():
        page.get_by_role("button", name="Change language").click()
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ja"
    assert page.locator("h1").inner_text() == "システムステータス"
    local = next_window.starts_at.astimezone(ZoneInfo("Asia/Tokyo"))
    # Rendered by the server, without JavaScript: 2026年11月28日(土) 22:00 JST.
    weekday = "月火水木金土日"[local.weekday()]
    block = page.locator("#region-japan").inner_text()
    assert f"{local.year}年{local.month}月{local.day}日({weekday}) {local:%H:%M} JST" in block
    # And by the browser for the viewer's own zone, in the page's language.
    viewer = page.locator("#region-japan [data-viewer-time]").inner_text()
    assert f"{local.year}年{local.month}月{local.day}日" in viewer and f"{local:%H:%M}" in viewer
    assert page.locator("#region-japan [data-countdown]").inner_text().endswith("に開始)")
    assert problems == []
    context.close()
