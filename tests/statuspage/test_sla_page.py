"""The public /sla/ page and /sla.csv."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.utils import translation

from maintenance import incidents
from maintenance.csvexport import safe_cell
from maintenance.models import Region
from tests.statuspage.conftest import LATER


@pytest.fixture
def outage(regions):
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
    opened = incidents.open_incident("Errors", [regions["japan"]], "critical", "Down.", started_at=start, now=start)
    incidents.resolve(opened, resolved_at=datetime(2026, 11, 3, 11, 0, tzinfo=UTC), now=LATER)


def test_sla_page_shows_twelve_months_by_region_with_met_or_missed(
    client, regions, outage, django_assert_max_num_queries
):
    with time_machine.travel(LATER, tick=False), django_assert_max_num_queries(4):
        response = client.get("/sla/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<caption>" in html and "Availability over the last 12 months, against 99.9%." in html
    assert html.count('<th scope="col">') == 1 + len(regions)
    assert html.count('<th scope="row">') == 12
    assert '<time datetime="2026-12">' in html and '<time datetime="2026-01">' in html
    assert '<time datetime="2025-12">' not in html
    assert html.count('class="sla-missed"') == 1
    assert "99.8611%" in html and "60 min down" in html


def test_sla_page_in_german(client, regions, outage):
    # override() puts the previous language back after the request, which activates German.
    with time_machine.travel(LATER, tick=False), translation.override("en"):
        response = client.get("/sla/", HTTP_ACCEPT_LANGUAGE="de")
    html = response.content.decode()
    assert "Verfügbarkeit nach Region und Monat" in html
    assert "Verfehlt" in html and "Erreicht" in html


def test_sla_csv_has_a_header_and_one_row_per_region_and_month(client, regions, outage):
    with time_machine.travel(LATER, tick=False):
        response = client.get("/sla.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    categories = ["force_majeure", "government", "flood", "fire", "earthquake", "riots", "terror", "isp", "ddos"]
    assert rows[0] == [
        "region",
        "month",
        "minutes_in_month",
        "downtime_minutes",
        "maintenance_minutes",
        *(f"excluded_{category}_minutes" for category in categories),
        "availability_percent",
        "met",
    ]
    assert len(rows) == 1 + 12 * len(regions)
    assert ["japan", "2026-11", "43200", "60", "0", *["0"] * 9, "99.8611", "no"] in rows
    assert ["us", "2026-03", "44580", "0", "0", *["0"] * 9, "100.0000", "yes"] in rows


def test_sla_csv_neutralises_cells_a_spreadsheet_would_run(client, regions):
    Region.objects.filter(slug="us").update(slug="=cmd")
    with time_machine.travel(LATER, tick=False):
        body = client.get("/sla.csv").content.decode()
    assert "'=cmd,2026-12" in body
    assert "\n=cmd" not in body
    assert [safe_cell(v) for v in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "ok", 5]] == [
        "'=1+1",
        "'+1",
        "'-1",
        "'@SUM(A1)",
        "'\tx",
        "ok",
        "5",
    ]
