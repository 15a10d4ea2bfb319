from datetime import datetime, time
from zoneinfo import ZoneInfo, available_timezones

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from maintenance import planning
from maintenance.models import Region, Window
from tests.conftest import NOW
from tests.oracle import window_by_oracle


@pytest.fixture
def planned(db):
    planning.plan(NOW, 12)


def test_regions_list_shows_the_rule_of_each_region(api, regions):
    response = api.get("/api/v1/regions/")
    assert response.status_code == 200
    body = response.json()
    assert [row["slug"] for row in body] == [
        "us",
        "eu-ireland",
        "eu-frankfurt",
        "australia",
        "singapore",
        "japan",
        "india",
    ]
    assert body[0] == {
        "slug": "us",
        "name": "United States",
        "timezone": "America/New_York",
        "offpeak_start": "23:00",
        "window_minutes": 60,
        "active": True,
        "position": 0,
    }


def test_windows_list_gives_utc_times_and_region_slugs(api, planned):
    response = api.get("/api/v1/windows/", {"region": "eu-frankfurt", "page_size": 2})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 12
    first = body["results"][0]
    assert first["region"] == "eu-frankfurt"
    assert first["month"] == "2026-11"
    assert first["starts_at"] == "2026-11-28T21:00:00Z" and first["ends_at"] == "2026-11-28T22:00:00Z"
    assert first["status"] == "planned" and first["sequence"] == 0
    assert {"id", "title", "release_summary", "actual_start", "actual_end"} <= set(first)


def test_windows_filters_combine(api, planned):
    Window.objects.filter(region__slug="japan", month="2027-01-01").update(status=Window.Status.SCHEDULED)
    body = api.get("/api/v1/windows/", {"status": "scheduled"}).json()
    assert [(w["region"], w["month"]) for w in body["results"]] == [("japan", "2027-01")]
    body = api.get(
        "/api/v1/windows/", {"starts_after": "2026-12-01T00:00:00Z", "starts_before": "2027-01-01T00:00:00Z"}
    ).json()
    assert body["count"] == 7
    assert all(w["starts_at"].startswith("2026-12") for w in body["results"])


@pytest.mark.parametrize(
    "params, field",
    [
        ({"region": "atlantis"}, "region"),
        ({"status": "finished"}, "status"),
        ({"starts_after": "yesterday"}, "starts_after"),
        ({"starts_before": "2026-13-01T00:00:00Z"}, "starts_before"),
        ({"page": "0"}, "page"),
        ({"page_size": "many"}, "page_size"),
    ],
)
def test_bad_filter_value_gets_400_with_a_message(api, planned, params, field):
    response = api.get("/api/v1/windows/", params)
    assert response.status_code == 400
    assert field in response.json()["detail"]


def test_unknown_window_or_region_is_404(api, planned):
    assert api.get("/api/v1/windows/999999/").status_code == 404
    assert api.get("/api/v1/regions/atlantis/").status_code == 404


def test_windows_list_query_count_does_not_grow_with_rows(api, planned, django_assert_max_num_queries):
    with django_assert_max_num_queries(2):
        api.get("/api/v1/windows/", {"page_size": 500})


@pytest.mark.django_db
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    zone_name=st.sampled_from(sorted(available_timezones())),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    length=st.integers(1, 60),
)
@example(zone_name="Pacific/Kiritimati", hour=0, minute=30, length=60)
@example(zone_name="Pacific/Pago_Pago", hour=23, minute=30, length=60)
@example(zone_name="America/Nuuk", hour=23, minute=30, length=45)  # a gap in March, an overlap in October
@example(zone_name="Asia/Kathmandu", hour=22, minute=0, length=1)
def test_api_windows_agree_with_the_independent_rule(api, zone_name, hour, minute, length):
    Window.objects.all().delete()
    Region.objects.all().delete()
    Region.objects.create(
        slug="r", name="R", timezone=zone_name, offpeak_start=time(hour, minute), window_minutes=length
    )
    planning.plan(NOW, 12)
    rows = api.get("/api/v1/windows/", {"region": "r"}).json()["results"]
    assert len(rows) >= 11
    for row in rows:
        year, month = map(int, row["month"].split("-"))
        expected = window_by_oracle(year, month, ZoneInfo(zone_name), hour, minute, length)
        actual = (datetime.fromisoformat(row["starts_at"]), datetime.fromisoformat(row["ends_at"]))
        assert actual == expected
