"""Pipelines get a no instead of a guess: the month filter, unknown parameters, times without an offset, the horizon
and the ceiling shared by reschedule and extend, an absolute `until`, and PATCH of a window's words."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from rest_framework.test import APIClient

from maintenance import bounds, planning
from maintenance.models import AuditEvent, Window
from tests.conftest import NOW
from tests.maintenance.transitions import bring_to
from tests.statuspage.conftest import token_client

pytestmark = pytest.mark.usefixtures("clock")


@pytest.fixture
def year(db):
    planning.plan(NOW, 12)


def bad(response, field):
    """A 400 whose `errors` name exactly ``field`` and whose `detail` names it too."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert list(body["errors"]) == [field], body
    assert field in body["detail"]
    return " ".join(body["errors"][field])


# --- the windows list: month filter and unknown parameters ---


def test_the_month_filter_gives_the_one_window_of_the_regions_month(year):
    response = APIClient().get("/api/v1/windows/", {"region": "singapore", "month": "2027-01"})
    assert response.status_code == 200
    [only] = response.json()["results"]
    assert (only["region"], only["month"], only["starts_at"]) == ("singapore", "2027-01", "2027-01-30T14:00:00Z")


def test_the_month_filter_is_the_regions_local_month_not_utcs(year):
    """New York's July 2027 window is on Saturday 31 July at 23:00 EDT, already 1 August in UTC."""
    july = APIClient().get("/api/v1/windows/", {"region": "us", "month": "2027-07"}).json()["results"]
    assert [(w["month"], w["starts_at"]) for w in july] == [("2027-07", "2027-08-01T03:00:00Z")]
    august = APIClient().get("/api/v1/windows/", {"region": "us", "month": "2027-08"}).json()["results"]
    assert [w["month"] for w in august] == ["2027-08"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"region": "singapore", "mnth": "2027-01"}, "mnth"),
        ({"regions": "singapore"}, "regions"),
        ({"month": "2027-13"}, "month"),
        ({"month": "0000-01"}, "month"),
        ({"month": "2027-1"}, "month"),
        ({"starts_after": "2027-01-30T14:00:00"}, "starts_after"),
        ({"starts_before": "2027-01-30T14:00"}, "starts_before"),
        ({"starts_after": "9999-12-31T23:00:00-02:00"}, "starts_after"),
    ],
)
def test_a_bad_or_unknown_query_parameter_is_a_400_naming_it(year, query, field):
    bad(APIClient().get("/api/v1/windows/", query), field)


def test_a_filter_time_with_an_offset_is_taken_at_that_offset(year):
    response = APIClient().get("/api/v1/windows/", {"region": "singapore", "starts_after": "2027-01-30T22:00:00+08:00"})
    assert response.json()["results"][0]["starts_at"] == "2027-01-30T14:00:00Z"


def test_a_missing_offset_gets_a_sentence_asking_for_one(year):
    message = bad(APIClient().get("/api/v1/windows/", {"starts_after": "2027-01-30T14:00:00"}), "starts_after")
    assert "UTC offset" in message


# --- times in bodies: offsets, the horizon and the ceiling ---


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"starts_at": "2026-12-05T21:00:00", "ends_at": "2026-12-05T21:45:00Z"}, "starts_at", "UTC offset"),
        ({"starts_at": "2026-12-05T21:00:00Z", "ends_at": "2026-12-05T21:45:00"}, "ends_at", "UTC offset"),
        ({"starts_at": "9999-12-31T22:00:00Z", "ends_at": "9999-12-31T23:00:00Z"}, "starts_at", "24 months ahead"),
        ({"starts_at": "2028-11-11T21:00:00Z", "ends_at": "2028-11-11T21:30:00Z"}, "starts_at", "24 months ahead"),
        ({"starts_at": "2026-11-09T21:00:00Z", "ends_at": "2026-11-09T21:30:00Z"}, "starts_at", "in the future"),
    ],
)
def test_reschedule_refuses_times_without_offset_or_out_of_bounds(window, pipeline, body, field, words):
    message = bad(pipeline.post(f"/api/v1/windows/{window.pk}/reschedule/", body, format="json"), field)
    assert words in message
    window.refresh_from_db()
    assert (window.starts_at.isoformat(), window.sequence) == ("2026-11-28T21:00:00+00:00", 0)


def test_reschedule_accepts_the_last_day_of_the_horizon(window, pipeline):
    body = {"starts_at": "2028-11-10T11:00:00Z", "ends_at": "2028-11-10T11:30:00Z"}
    assert pipeline.post(f"/api/v1/windows/{window.pk}/reschedule/", body, format="json").status_code == 200


def extend(pipeline, window, body):
    return pipeline.post(f"/api/v1/windows/{window.pk}/extend/", body, format="json")


def test_extend_stops_at_the_ceiling_reschedule_shares(window, pipeline):
    window = bring_to(window, "in_progress")
    assert bounds.MAX_LENGTH_MINUTES == 120 and window.duration == timedelta(minutes=60)
    assert bounds.latest_end(window.starts_at) == window.starts_at + timedelta(minutes=120)
    assert extend(pipeline, window, {"minutes": 45}).status_code == 200
    message = bad(extend(pipeline, window, {"minutes": 16}), "minutes")
    assert "No window ends more than 120 minutes after its start" in message
    assert extend(pipeline, window, {"minutes": 15}).status_code == 200
    bad(extend(pipeline, window, {"minutes": 1}), "minutes")
    window.refresh_from_db()
    assert window.duration == timedelta(minutes=120)


def test_one_extension_cannot_pass_the_ceiling_either(window, pipeline):
    window = bring_to(window, "scheduled")
    bad(extend(pipeline, window, {"minutes": 61}), "minutes")
    bad(extend(pipeline, window, {"minutes": 240}), "minutes")
    window.refresh_from_db()
    assert (window.duration, window.sequence) == (timedelta(minutes=60), 1)


def test_extend_until_is_an_absolute_end_and_a_repeat_changes_nothing(window, pipeline):
    window = bring_to(window, "in_progress")
    until = (window.starts_at + timedelta(minutes=90)).isoformat()
    first = extend(pipeline, window, {"until": until, "reason": "migration slow"})
    again = extend(pipeline, window, {"until": until, "reason": "migration slow"})
    assert (first.status_code, first.json()["message"]) == (200, "Extended.")
    assert (again.status_code, again.json()["message"]) == (200, "The window already ends then.")
    assert first.json()["ends_at"] == again.json()["ends_at"] == "2026-11-28T22:30:00Z"
    assert again.json()["sequence"] == first.json()["sequence"]
    assert AuditEvent.objects.filter(window=window, action="extend").count() == 1


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        ({"until": "2026-11-28T23:01:00Z"}, "until", "120 minutes"),
        ({"until": "2026-11-28T21:30:00Z"}, "until", "after the window's current end"),
        ({"until": "2026-11-28T22:30:00"}, "until", "UTC offset"),
        ({"until": "2026-11-28T22:30:00Z", "minutes": 10}, "minutes", "either minutes or until"),
        ({}, "minutes", "either minutes or until"),
    ],
)
def test_a_bad_until_is_a_400_naming_the_field(window, pipeline, body, field, words):
    window = bring_to(window, "in_progress")
    assert words in bad(extend(pipeline, window, body), field)
    window.refresh_from_db()
    assert window.duration == timedelta(minutes=60)


# --- PATCH: a window's title and release summary ---


def test_a_release_manager_sets_title_and_summary_with_patch_and_it_is_audited(window, pipeline, manager):
    url = f"/api/v1/windows/{window.pk}/"
    body = {"title": "Release 2026.11", "release_summary": "Faster search.", "reason": "pipeline #4711"}
    response = pipeline.patch(url, body, format="json")
    assert response.status_code == 200
    assert (response.json()["title"], response.json()["release_summary"]) == ("Release 2026.11", "Faster search.")
    assert response.json()["message"] == "Saved."
    window.refresh_from_db()
    assert (window.title, window.release_summary, window.sequence) == ("Release 2026.11", "Faster search.", 0)
    event = AuditEvent.objects.get(window=window, action="edit")
    assert (event.actor, event.actor_label, event.reason) == (manager, "release-manager", "pipeline #4711")
    assert event.changes == {"title": ["", "Release 2026.11"], "release_summary": ["", "Faster search."]}

    again = pipeline.patch(url, {"title": "Release 2026.11"}, format="json")
    assert (again.status_code, again.json()["message"]) == (200, "The window already reads so.")
    assert AuditEvent.objects.filter(window=window, action="edit").count() == 1


def test_patch_needs_a_release_manager(window):
    url = f"/api/v1/windows/{window.pk}/"
    assert APIClient().patch(url, {"title": "x"}, format="json").status_code == 401
    customer = token_client(User.objects.create_user("customer", password="x"))
    assert customer.patch(url, {"title": "x"}, format="json").status_code == 403
    window.refresh_from_db()
    assert window.title == "" and not AuditEvent.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "title"),
        ({"status": "completed"}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "Release\nBcc: eve@example.com"}, "title"),
        ({"reason": "x" * 501}, "reason"),
    ],
)
def test_a_bad_patch_is_a_400_naming_the_field(window, pipeline, body, field):
    bad(pipeline.patch(f"/api/v1/windows/{window.pk}/", body, format="json"), field)
    assert Window.objects.get(pk=window.pk).status == "planned"


def test_put_is_not_offered(window, pipeline):
    assert pipeline.put(f"/api/v1/windows/{window.pk}/", {"title": "x"}, format="json").status_code == 405


# --- the SLA month ---


@pytest.mark.parametrize("month", ["0001-01", "1970-01", "2024-10", "2028-12", "9998-12"])
def test_an_sla_month_outside_the_ledgers_range_is_a_400_naming_it(window, month):
    message = bad(APIClient().get("/api/v1/sla/", {"month": month}), "month")
    assert "give one from 2024-11 to 2028-11" in message


@pytest.mark.parametrize("month", ["2024-11", "2026-11", "2028-11"])
def test_an_sla_month_inside_the_range_answers(window, month):
    response = APIClient().get("/api/v1/sla/", {"month": month})
    assert response.status_code == 200 and {row["month"] for row in response.json()} == {month}


def test_the_sla_range_reaches_the_last_planned_window(window):
    """Windows planned further ahead than the horizon (PLAN_MONTHS_AHEAD may be up to 120) keep their months."""
    planning.plan(NOW, 36)
    assert APIClient().get("/api/v1/sla/", {"month": "2029-10"}).status_code == 200
    message = bad(APIClient().get("/api/v1/sla/", {"month": "2029-11"}), "month")
    assert "give one from 2024-11 to 2029-10" in message
