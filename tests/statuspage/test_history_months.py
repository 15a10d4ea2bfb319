"""/history/ counts months in each region's own calendar, like the window rule and the SLA ledger."""

import re
from datetime import UTC, datetime

from maintenance.models import Incident, Window
from maintenance.rule import Month
from statuspage import months


def listed(client, month):
    html = client.get("/history/", {"month": month}).content.decode()
    return html, set(re.findall(r'id="incident-(\d+)"', html))


def incident(regions, title, started_at, *slugs):
    made = Incident.objects.create(
        title=title,
        impact=Incident.Impact.MINOR,
        status=Incident.Status.RESOLVED,
        started_at=started_at,
        resolved_at=started_at.replace(minute=59),
    )
    made.regions.set([regions[slug] for slug in slugs])
    return made


def test_a_window_is_listed_in_the_month_it_serves_even_when_it_starts_in_the_next_utc_month(client, history):
    us = Window.objects.get(region__slug="us", month="2026-10-01")
    assert us.starts_at == datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # Saturday 31 October, 23:00 in New York
    october, _ = listed(client, "2026-10")
    november, _ = listed(client, "2026-11")
    assert f'href="/windows/{us.pk}/"' in october
    assert f'href="/windows/{us.pk}/"' not in november


def test_an_incident_is_listed_in_the_month_it_started_on_its_regions_wall_clock(client, history, regions):
    turn = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 00:30 on 1 November in Frankfurt, 19:30 on 31 October in NY
    frankfurt = incident(regions, "Frankfurt at midnight", turn, "eu-frankfurt")
    new_york = incident(regions, "New York in the evening", turn, "us")
    both = incident(regions, "Both at once", turn, "us", "eu-frankfurt")
    _, october = listed(client, "2026-10")
    _, november = listed(client, "2026-11")
    assert {str(frankfurt.pk), str(both.pk)} <= november and str(new_york.pk) not in november
    assert {str(new_york.pk), str(both.pk)} <= october and str(frankfurt.pk) not in october


def test_the_v2_shortlink_of_an_incident_opens_a_month_that_lists_it(client, history, regions):
    turn = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    frankfurt = incident(regions, "Frankfurt at midnight", turn, "eu-frankfurt")
    both = incident(regions, "Both at once", turn, "us", "eu-frankfurt")
    links = {item["id"]: item["shortlink"] for item in client.get("/api/v2/incidents.json").json()["incidents"]}
    assert links[f"incident-{frankfurt.pk}"].endswith(f"/history/?month=2026-11#incident-{frankfurt.pk}")
    assert links[f"incident-{both.pk}"].endswith(f"/history/?month=2026-10#incident-{both.pk}")


def test_an_incident_before_the_first_window_opens_an_earlier_month(client, history, regions):
    early = incident(regions, "Before anything", datetime(2026, 8, 1, 2, 0, tzinfo=UTC), "us")  # 31 July in NY
    july, ids = listed(client, "2026-07")
    assert ids == {str(early.pk)} and "Older month" not in july
    assert 'href="?month=2026-07"' in client.get("/history/", {"month": "2026-08"}).content.decode()
    assert client.get("/history/", {"month": "2026-06"}).status_code == 404


def test_the_newest_month_is_the_first_to_begin_on_any_regions_clock(client, history, clock):
    sydney_december = datetime(2026, 11, 30, 13, 30, tzinfo=UTC)  # 1 December, 00:30 in Sydney
    clock.move_to(sydney_december)
    assert months.newest_month(sydney_december) == Month(2026, 12)
    html = client.get("/history/").content.decode()
    assert "History: December 2026" in html and 'href="?month=2026-11"' in html and "Newer month" not in html
    clock.move_to(datetime(2026, 11, 30, 12, 30, tzinfo=UTC))  # 23:30 in Sydney: still November everywhere
    assert months.newest_month(datetime(2026, 11, 30, 12, 30, tzinfo=UTC)) == Month(2026, 11)
    assert client.get("/history/", {"month": "2026-12"}).status_code == 404
