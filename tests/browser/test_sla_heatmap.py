"""The availability page in headless Chromium: the heat map and the error budget read right in light and dark, and
axe-core finds no violation with the ledger open."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from maintenance import incidents
from maintenance.models import Region

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Mid-December 2026: November is over, December is the month whose budget the page shows.
LATER = datetime(2026, 12, 15, 12, 0, tzinfo=UTC)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not AXE.exists(), reason="needs axe-core from npm, which `make test` installs when npm is available"
    ),
]


@pytest.fixture
def downtime(transactional_db):
    """Japan down for an hour in November (missed); Frankfurt down 50 minutes and Ireland 20 in December."""
    for slug, start, minutes in (
        ("japan", datetime(2026, 11, 3, 10, 0, tzinfo=UTC), 60),
        ("eu-frankfurt", datetime(2026, 12, 2, 10, 0, tzinfo=UTC), 50),
        ("eu-ireland", datetime(2026, 12, 3, 10, 0, tzinfo=UTC), 20),
    ):
        region = Region.objects.get(slug=slug)
        opened = incidents.open_incident("Errors", [region], "major", "Down.", started_at=start, now=start)
        incidents.resolve(opened, resolved_at=start + timedelta(minutes=minutes), now=LATER)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_heat_map_and_the_error_budget_read_right_without_axe_violations(downtime, live_server, browser, scheme):
    page = browser.new_page(color_scheme=scheme, locale="en-US")
    page.add_init_script(path=str(AXE))
    errors = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    with time_machine.travel(LATER, tick=True):
        response = page.goto(live_server.url + "/sla/")
        assert response.status == 200

        heatmap = page.locator("table.heatmap")
        headers = heatmap.locator("thead th").all_inner_texts()
        assert [" ".join(h.split()) for h in headers[:2]] == ["Region", "January 2026"]
        assert " ".join(headers[-1].split()) == "December 2026 (so far)"
        japan = heatmap.locator("tbody tr", has=page.locator("th", has_text="Japan"))
        november = japan.locator("td").nth(10)
        assert " ".join(november.inner_text().split()) == "99.86% ✗ Missed"
        assert november.get_attribute("class") == "sla-missed"
        # Not by colour alone: the missed cell is striped and outlined, the met ones are not.
        missed_style = november.evaluate("cell => getComputedStyle(cell).backgroundImage")
        met_style = japan.locator("td").nth(9).evaluate("cell => getComputedStyle(cell).backgroundImage")
        assert "repeating-linear-gradient" in missed_style and met_style == "none"

        budget = page.locator("table.budget")
        lines = {
            row.locator("th").inner_text(): [cell.strip() for cell in row.locator("td").all_inner_texts()]
            for row in budget.locator("tbody tr").all()
        }
        assert lines["EU (Frankfurt)"] == ["44.64", "50", "over by 5.36", "112%"]
        assert lines["EU (Ireland)"] == ["44.64", "20", "24.64", "45%"]
        assert lines["Japan"] == ["44.64", "0", "44.64", "0%"]
        bar = budget.locator("tbody tr", has=page.locator("th", has_text="EU (Frankfurt)")).locator(".budget-fill")
        assert bar.get_attribute("width") == "100"

        page.locator("details.sla-ledger summary").click()
        assert page.locator("table.ledger").is_visible()
        result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    violations = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[node['target'] for node in v['nodes']][:3]}"
        for v in result["violations"]
    ]
    assert violations == []
    assert errors == []
    page.close()
