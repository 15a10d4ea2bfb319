"""Atlassian's embeddable widget (@statuspage/status-widget, from npm) in headless Chromium, on a page of another
origin, reads the app's /api/v2/summary.json across origins (CORS) and shows its status."""

import threading
from datetime import UTC, datetime, timedelta
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from maintenance.models import Incident, Region

ROOT = Path(__file__).resolve().parents[2]
WIDGET = ROOT / "node_modules" / "@statuspage" / "status-widget" / "dist" / "index.js"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not WIDGET.exists(), reason="needs @statuspage/status-widget from npm, which `make test` installs"
    ),
]

# The widget's bundle assigns the global ``parcelRequire`` in strict mode, which throws unless the name exists; the
# embedding page declares it, as pages embedding that bundle do.
EMBEDDING_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>A customer's dashboard</title><link rel="icon" href="data:,">
<script>var parcelRequire;</script>
<script src="/status-widget.js"></script></head>
<body><h1>Dashboard</h1><statuspage-widget src="{src}" title="Offpeak"></statuspage-widget></body></html>
"""


class Quiet(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def other_origin(tmp_path, live_server):
    """A second web server on another port of this machine: a customer's page that embeds the widget, pointed at
    the live server (the widget asks for /api/v2/summary.json there)."""
    (tmp_path / "status-widget.js").write_bytes(WIDGET.read_bytes())
    (tmp_path / "index.html").write_text(EMBEDDING_PAGE.format(src=live_server.url + "/api/v2/"))
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def outage(transactional_db):
    incident = Incident.objects.create(
        title="Payments failing",
        impact=Incident.Impact.CRITICAL,
        status=Incident.Status.INVESTIGATING,
        started_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    incident.regions.set([Region.objects.get(slug="us")])
    return incident


def test_statuspage_widget_on_another_origin_shows_the_apps_status(outage, live_server, other_origin, browser):
    assert other_origin.split(":")[-1] != live_server.url.split(":")[-1]
    page = browser.new_page()
    problems = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    with page.expect_response(lambda r: r.url == live_server.url + "/api/v2/summary.json") as answer:
        page.goto(other_origin + "/index.html")
    response = answer.value
    assert response.status == 200 and response.headers["access-control-allow-origin"] == "*"
    assert response.request.all_headers()["origin"] == other_origin
    text = page.locator("statuspage-widget .status-text")
    text.wait_for(timeout=10_000)
    assert text.inner_text().strip() == "Major Service Outage"
    indicator = page.locator("statuspage-widget .status-indicator")
    assert "critical" in indicator.get_attribute("class").split()
    assert problems == []
    page.close()
