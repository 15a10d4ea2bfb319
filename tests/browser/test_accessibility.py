"""axe-core, from the npm package, inside headless Chromium: the public pages have no accessibility violation."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from maintenance import lifecycle, planning
from maintenance.models import Window

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not AXE.exists(), reason="needs axe-core from npm, which `make test` installs when npm is available"
    ),
]


@pytest.fixture
def announced_window(transactional_db):
    planning.plan(datetime.now(UTC), 3)
    window = Window.objects.filter(status=Window.Status.PLANNED).order_by("starts_at").last()
    window.title = "Release 2027.1"
    window.release_summary = "Faster reports and a new export."
    window.save(update_fields=["title", "release_summary"])
    lifecycle.announce(window, "release-manager", "monthly release")
    return window


@pytest.mark.parametrize("path", ["/", "/subscribe/", "/sla/", "/windows/{id}/", "/history/"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_page_has_no_axe_violations(announced_window, live_server, browser, path, scheme):
    page = browser.new_page(color_scheme=scheme, locale="en-US")
    page.add_init_script(path=str(AXE))  # injected by the browser itself, so the page's CSP stays in force
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    response = page.goto(live_server.url + path.format(id=announced_window.pk))
    assert response.status == 200
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert violations == []
    assert errors == []
    page.close()
