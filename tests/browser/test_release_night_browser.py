"""Release night in a real browser: the page keeps itself current (countdown, state, notice progress) without a
reload, and a release manager starts and completes a window through the confirmation pages, under the site's CSP."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone

from maintenance import lifecycle, planning
from maintenance.models import Window
from notifications import schedule
from notifications.models import Delivery, Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
WAIT = 15_000  # ms: three polls of the page's script


@pytest.fixture
def tonight(transactional_db, regions):
    """Frankfurt's window moved to start in ten minutes, announced, with one subscriber who wants start/end notices."""
    now = timezone.now()
    planning.plan(now, 2)
    window = Window.objects.filter(region__slug="eu-frankfurt", starts_at__gt=now).order_by("starts_at").first()
    start = (now + timedelta(minutes=10)).replace(microsecond=0)
    lifecycle.reschedule(window, start, start + timedelta(minutes=30), now=now)
    lifecycle.announce(window, now=now)
    subscriber = Subscriber.objects.create(
        email="ada@example.com", state=Subscriber.State.CONFIRMED, created_at=now, notify_start_end=True
    )
    subscriber.regions.set([regions["eu-frankfurt"]])
    user = User.objects.create_user("rm", password="night-shift", is_staff=True)
    user.groups.add(Group.objects.get(name="Release managers"))
    window.refresh_from_db()
    return window


def log_in(page, live_server):
    page.goto(live_server.url + "/admin/login/?next=/admin/maintenance/window/night/")
    page.fill("#id_username", "rm")
    page.fill("#id_password", "night-shift")
    with page.expect_navigation():
        page.click("input[type=submit]")


def confirm(page, row, label):
    with page.expect_navigation():
        row.get_by_role("link", name=label, exact=True).click()
    with page.expect_navigation():
        page.get_by_role("button", name=f"Yes, {label}").click()
    page.wait_for_load_state("networkidle")


def test_release_manager_starts_and_completes_a_window_and_sees_countdown_and_progress_move(
    tonight, live_server, browser, monkeypatch
):
    # The test plays the outbox and a second release manager while the browser is open; Playwright's sync API keeps
    # an event loop in this thread, which Django's ORM would otherwise take for async code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    problems = []
    context = browser.new_context(locale="en-US")
    context.route("**/favicon.ico", lambda route: route.fulfill(status=204))  # the admin names no icon
    page = context.new_page()
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on("response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None)
    log_in(page, live_server)
    assert page.url.endswith("/admin/maintenance/window/night/")
    row = page.locator(f"#night-window-{tonight.pk}")
    countdown = row.locator("[data-field='countdown']")
    progress = row.locator("[data-field='progress']")

    # Before: the countdown to the start ticks by itself.
    first = countdown.inner_text()
    assert re.fullmatch(r"starts in 0:(09|10):\d\d", first), first
    page.wait_for_function(
        "([element, first]) => element.textContent !== first", arg=[countdown.element_handle(), first], timeout=WAIT
    )
    assert page.locator("[data-night-live]").is_visible()
    assert row.locator("[data-field='status']").inner_text() == "Scheduled"

    # Start, through the confirmation page.
    confirm(page, row, "Start")
    assert row.locator("[data-field='status']").inner_text() == "In progress"
    assert re.fullmatch(r"ends in 0:(39|40):\d\d", countdown.inner_text())
    assert "Started." in page.locator(".messagelist").inner_text()

    # The outbox plans the started notice, then sends it: the page shows both without a reload.
    assert schedule.create_due()[Delivery.Kind.STARTED] == 1
    page.wait_for_function(
        "element => element.textContent.includes('Started: 0 of 1 sent, 1 pending')",
        arg=progress.element_handle(),
        timeout=WAIT,
    )
    Delivery.objects.filter(window=tonight, kind=Delivery.Kind.STARTED).update(status=Delivery.Status.SENT)
    page.wait_for_function(
        "element => element.textContent.includes('Started: 1 of 1 sent, 0 pending')",
        arg=progress.element_handle(),
        timeout=WAIT,
    )

    # Someone extends it elsewhere: the countdown follows without a reload.
    lifecycle.extend(Window.objects.get(pk=tonight.pk), 30, reason="slow migration")
    page.wait_for_function(
        "element => /^ends in 1:(09|10):\\d\\d$/.test(element.textContent)",
        arg=countdown.element_handle(),
        timeout=WAIT,
    )

    # Complete: the countdown stops and says when it ended.
    confirm(page, row, "Complete")
    tonight.refresh_from_db()
    assert tonight.status == Window.Status.COMPLETED
    assert countdown.inner_text() == f"completed at {tonight.actual_end:%H:%M} UTC"
    assert row.locator("[data-field='actions'] a").count() == 0
    assert problems == []
    context.close()


def test_without_javascript_the_page_is_complete_and_refreshes_by_hand(tonight, live_server, browser, monkeypatch):
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = browser.new_context(locale="en-US", java_script_enabled=False)
    page = context.new_page()
    log_in(page, live_server)
    row = page.locator(f"#night-window-{tonight.pk}")
    assert re.fullmatch(r"starts in 0:(09|10):\d\d", row.locator("[data-field='countdown']").inner_text())
    assert not page.locator("[data-night-live]").is_visible()  # no promise of live updates
    lifecycle.start(Window.objects.get(pk=tonight.pk))
    with page.expect_navigation():
        page.get_by_role("link", name="Refresh").click()
    assert row.locator("[data-field='status']").inner_text() == "In progress"
    assert re.fullmatch(r"ends in 0:(39|40):\d\d", row.locator("[data-field='countdown']").inner_text())
    context.close()
