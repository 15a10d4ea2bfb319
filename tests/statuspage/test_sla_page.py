"""The public /sla/ page and /sla.csv."""

import calendar
import csv
import io
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser

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


class Tables(HTMLParser):
    """The page's tables by class: each a list of rows, each row a list of (tag, class, text) cells."""

    def __init__(self, html):
        super().__init__()
        self.tables, self.table, self.cell = {}, None, None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self.table = self.tables.setdefault(attrs.get("class"), [])
        elif tag == "tr" and self.table is not None:
            self.table.append([])
        elif tag in ("th", "td") and self.table is not None:
            self.cell = [tag, attrs.get("class"), ""]

    def handle_endtag(self, tag):
        if tag == "table":
            self.table = None
        elif tag in ("th", "td") and self.cell is not None:
            self.table[-1].append((self.cell[0], self.cell[1], " ".join(self.cell[2].split())))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell[2] += data


def sla_tables(client, **headers):
    with time_machine.travel(LATER, tick=False):
        response = client.get("/sla/", **headers)
    assert response.status_code == 200
    return response.content.decode(), Tables(response.content.decode()).tables


def test_the_heat_map_has_a_row_per_region_and_a_column_per_month_oldest_first(
    client, regions, outage, django_assert_max_num_queries
):
    with django_assert_max_num_queries(4):
        html, tables = sla_tables(client)
    assert "Availability over the last 12 months, against 99.9%." in html
    header, *lines = tables["heatmap"]
    assert [text for _, _, text in header] == [
        "Region",
        *(f"{name} 2026" for name in calendar.month_name[1:12]),
        "December 2026 (so far)",
    ]
    assert '<time datetime="2026-01">' in html and '<time datetime="2025-12">' not in html
    assert [line[0][2] for line in lines] == [region.name for region in regions.values()]
    assert all(len(line) == 13 for line in lines)
    japan = next(line for line in lines if line[0][2] == "Japan")
    assert japan[11] == ("td", "sla-missed", "99.86% ✗ Missed")
    assert japan[10] == ("td", "sla-perfect", "100% ✓ Met")
    assert html.count('class="sla-missed"') == 1
    assert html.count('class="sla-perfect"') == 7 * 12 - 1


def test_a_month_with_downtime_that_met_the_target_is_told_apart_from_a_perfect_one(client, regions):
    start = datetime(2026, 10, 6, 10, 0, tzinfo=UTC)
    opened = incidents.open_incident("Slow", [regions["us"]], "minor", "Slow.", started_at=start, now=start)
    incidents.resolve(opened, resolved_at=start + timedelta(minutes=20), now=LATER)
    _, tables = sla_tables(client)
    us = next(line for line in tables["heatmap"] if line[0][2] == "United States")
    assert us[10] == ("td", "sla-met", "99.95% ✓ Met")  # October in New York: 44,640 minutes, 99.9552%


def test_a_missed_month_just_under_the_target_is_not_rounded_up_to_it(client, regions):
    start = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)  # 43.25 of Tokyo's 43,200 November minutes: 99.8999%
    opened = incidents.open_incident("Errors", [regions["japan"]], "major", "Down.", started_at=start, now=start)
    incidents.resolve(opened, resolved_at=start + timedelta(minutes=43, seconds=15), now=LATER)
    _, tables = sla_tables(client)
    japan = next(line for line in tables["heatmap"] if line[0][2] == "Japan")
    assert japan[11] == ("td", "sla-missed", "99.89% ✗ Missed")
    ledger = next(line for line in tables["ledger"] if line[0][2] == "Japan" and line[1][2] == "November 2026")
    assert ledger[2][2] == "99.8999% Missed"


def test_the_error_budget_gives_allowed_used_and_left_minutes_this_month(client, regions):
    for slug, minutes in (("eu-frankfurt", 50), ("japan", 20)):
        start = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
        opened = incidents.open_incident("Errors", [regions[slug]], "major", "Down.", started_at=start, now=start)
        incidents.resolve(opened, resolved_at=start + timedelta(minutes=minutes), now=LATER)
    html, tables = sla_tables(client)
    assert "Error budget this month" in html
    header, *lines = tables["budget"]
    assert [text for _, _, text in header] == ["Region", "Allowed", "Used", "Left", "Share used"]
    by_region = {line[0][2]: [text for _, _, text in line[1:]] for line in lines}
    assert len(by_region) == len(regions)
    assert by_region["EU (Frankfurt)"] == ["44.64", "50", "over by 5.36", "112%"]
    assert by_region["Japan"] == ["44.64", "20", "24.64", "45%"]
    assert by_region["United States"] == ["44.64", "0", "44.64", "0%"]
    assert html.count('class="budget-over"') == 1


def test_the_ledger_keeps_downtime_weekend_maintenance_and_exclusions_by_region_and_month(client, regions, outage):
    html, tables = sla_tables(client)
    assert '<details class="sla-ledger">' in html
    header, *lines = tables["ledger"]
    assert [text for _, _, text in header] == [
        "Region",
        "Month",
        "Availability",
        "Downtime (min)",
        "Weekend maintenance (min)",
        "Excluded incident time",
    ]
    assert len(lines) == 12 * len(regions)
    japan = [[text for _, _, text in line] for line in lines if line[0][2] == "Japan"]
    assert japan[10] == ["Japan", "November 2026", "99.8611% Missed", "60", "0", "–"]
    assert japan[0] == ["Japan", "January 2026", "100% Met", "0", "0", "–"]


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
