"""Phones: no public page is wider than a 360 px viewport, the subscribe form's checkboxes are big enough to touch,
and its time zone is the browser's own (with JavaScript) or the region's (without)."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from maintenance import lifecycle, planning
from maintenance.models import Incident, Region, Window
from notifications import tokens
from notifications.models import Subscriber

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
WIDTH = 360
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
# The elements that stick out, to name in a failure.
WIDEST = """[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > 361)
  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.fixture
def site(transactional_db):
    """A year of windows around today, the past ones run (one late and extended), an incident, a subscriber."""
    now = datetime.now(UTC)
    planning.plan(now - timedelta(days=100), 8)
    for window in Window.objects.filter(ends_at__lt=now).order_by("starts_at"):
        lifecycle.announce(window, now=window.starts_at - timedelta(days=7))
        lifecycle.start(window, now=window.starts_at)
        lifecycle.extend(window, 15, reason="A long database migration took longer", now=window.starts_at)
        lifecycle.complete(window, now=window.ends_at + timedelta(minutes=20))
    future = Window.objects.filter(starts_at__gt=now).order_by("starts_at").first()
    future.title = "Release 2027.1 with a rather long title to see how it wraps"
    future.save(update_fields=["title"])
    lifecycle.announce(future)
    incident = Incident.objects.create(
        title="Slow logins for some customers in several regions at once",
        impact=Incident.Impact.MINOR,
        status=Incident.Status.RESOLVED,
        started_at=now - timedelta(days=20),
        resolved_at=now - timedelta(days=20) + timedelta(hours=2),
    )
    incident.regions.set(Region.objects.all())
    subscriber = Subscriber.objects.create(
        email="a.very.long.address.for.testing@subdomain.example.com",
        state=Subscriber.State.CONFIRMED,
        created_at=now,
        confirmed_at=now,
    )
    subscriber.regions.set(Region.objects.all())
    return future, subscriber


def public_paths(window, subscriber):
    return [
        "/",
        "/history/",
        "/sla/",
        "/subscribe/",
        f"/windows/{window.pk}/",
        f"/subscription/manage/{tokens.make(tokens.MANAGE, subscriber.key)}/",
        f"/subscription/unsubscribe/{tokens.make(tokens.UNSUBSCRIBE, subscriber.key)}/",
        f"/subscription/confirm/{tokens.make(tokens.CONFIRM, subscriber.key)}/",
    ]


@pytest.mark.parametrize("language", ["en-US", "de-DE"])
def test_no_public_page_is_wider_than_a_360_px_phone(site, live_server, browser, language):
    window, subscriber = site
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, locale=language)
    page = context.new_page()
    too_wide = {}
    for path in public_paths(window, subscriber):
        response = page.goto(live_server.url + path)
        assert response.status < 400, path
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > WIDTH:
            too_wide["/".join(path.split("/")[:3])] = (width, page.evaluate(WIDEST))
    assert too_wide == {}
    context.close()


def test_checkboxes_are_at_least_24_px_on_a_touch_screen(site, live_server, browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/subscribe/")
    boxes = page.locator("input[type=checkbox]")
    assert boxes.count() == 7 + 2 + 1  # the seven regions, the two topics and start/end notices
    for n in range(boxes.count()):
        size = boxes.nth(n).bounding_box()
        assert size["width"] >= 24 and size["height"] >= 24, size
    context.close()


def test_the_time_zone_is_the_browsers_own_with_javascript(site, live_server, browser):
    context = browser.new_context(timezone_id="Europe/Lisbon")
    page = context.new_page()
    page.goto(live_server.url + "/subscribe/", wait_until="networkidle")
    assert page.locator("#id_timezone").input_value() == "Europe/Lisbon"
    assert page.locator("#id_timezone").get_attribute("list") == "timezone-list"
    # A zone the page already holds (from ?region=) is kept.
    page.goto(live_server.url + "/subscribe/?region=japan", wait_until="networkidle")
    assert page.locator("#id_timezone").input_value() == "Asia/Tokyo"
    context.close()


def test_without_javascript_the_time_zone_is_the_regions(site, live_server, browser):
    context = browser.new_context(timezone_id="Europe/Lisbon", java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/subscribe/?region=eu-frankfurt")
    assert page.locator("#id_timezone").input_value() == "Europe/Berlin"
    assert page.locator("#id_regions input[value=eu-frankfurt]").is_checked()
    page.goto(live_server.url + "/subscribe/")
    assert page.locator("#id_timezone").input_value() == ""  # empty: each region's own time
    context.close()


def test_errors_sit_next_to_their_field_and_look_like_errors(site, live_server, browser):
    context = browser.new_context(viewport={"width": WIDTH, "height": 740})
    page = context.new_page()
    page.goto(live_server.url + "/subscribe/", wait_until="networkidle")
    page.fill("#id_email", "not an address")
    page.fill("#id_timezone", "MEZ")
    page.click("form[action='/subscribe/'] button[type=submit]")
    zone = page.locator("#id_timezone")
    assert zone.get_attribute("aria-invalid") == "true"
    assert zone.get_attribute("aria-describedby").split()[0] == "id_timezone-error"
    error = page.locator("#id_timezone-error")
    assert error.inner_text() == "MEZ is not an IANA time zone, such as Europe/Berlin."
    styles = error.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).fontWeight]")
    body = page.evaluate("getComputedStyle(document.body).color")
    assert styles[0] != body and int(styles[1]) >= 600
    assert page.locator("#id_email").get_attribute("aria-invalid") == "true"
    assert page.locator("#id_regions-error").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    context.close()


@pytest.mark.skipif(
    not AXE.exists(), reason="needs axe-core from npm, which `make test` installs when npm is available"
)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_form_with_errors_has_no_axe_violations(site, live_server, browser, scheme):
    context = browser.new_context(viewport={"width": WIDTH, "height": 740}, color_scheme=scheme, has_touch=True)
    page = context.new_page()
    page.add_init_script(path=str(AXE))
    page.goto(live_server.url + "/subscribe/", wait_until="networkidle")
    page.fill("#id_email", "not an address")
    page.fill("#id_timezone", "MEZ")
    page.click("form[action='/subscribe/'] button[type=submit]")
    page.locator("#id_timezone-error").wait_for()
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    assert [f"{v['id']}: {v['help']}" for v in result["violations"]] == []
    context.close()
