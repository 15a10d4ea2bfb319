"""Badges: shields-style SVGs of the current state, cached like the pages, readable from any origin."""

import xml.etree.ElementTree as ET

import pytest

from maintenance import incidents

SVG = "{http://www.w3.org/2000/svg}"


def texts(response):
    root = ET.fromstring(response.content)
    return [node.text for node in root.iter(f"{SVG}text")]


def test_the_overall_badge_says_operational_in_green(client, regions):
    response = client.get("/badge.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["ETag"] and "max-age=15" in response["Cache-Control"]
    assert texts(response) == ["Offpeak", "operational"]
    assert b'fill="#2e7d32"' in response.content and b"linearGradient" in response.content


def test_a_region_badge_shows_that_regions_incident(client, regions):
    incidents.open_incident("Down", [regions["japan"]], "critical", "Looking.")
    assert texts(client.get("/badge/japan.svg")) == ["Japan", "major outage"]
    assert texts(client.get("/badge/india.svg")) == ["India", "operational"]
    assert texts(client.get("/badge.svg")) == ["Offpeak", "major outage"]


def test_the_flat_style_has_square_corners_and_no_gloss(client, regions):
    response = client.get("/badge.svg?style=flat")
    assert b'rx="0"' in response.content and b"linearGradient" not in response.content
    assert b'rx="3"' in client.get("/badge.svg").content


def test_bad_style_and_unknown_region_get_clear_4xx(client, regions):
    bad = client.get("/badge.svg?style=plastic")
    assert (bad.status_code, bad.content) == (400, b"style must be 'flat' or left out.\n")
    missing = client.get("/badge/atlantis.svg")
    assert (missing.status_code, missing.content) == (404, b"No such region.\n")


def test_a_cached_badge_costs_no_region_query_and_a_change_shows_at_once(
    client, regions, django_assert_max_num_queries
):
    client.get("/badge/japan.svg")
    with django_assert_max_num_queries(1):  # the content fingerprint, at most
        client.get("/badge/japan.svg")
    incidents.open_incident("Slow", [regions["japan"]], "minor", "Looking.")
    assert texts(client.get("/badge/japan.svg")) == ["Japan", "degraded performance"]


def test_a_conditional_get_of_an_unchanged_badge_is_304(client, regions):
    etag = client.get("/badge.svg")["ETag"]
    assert client.get("/badge.svg", HTTP_IF_NONE_MATCH=etag).status_code == 304


@pytest.mark.parametrize("text", ["Ünïcode & <co>", "x" * 40])
def test_labels_are_escaped_and_sized(text):
    from statuspage.badges import render

    svg = render(text, "ok", "#000")
    root = ET.fromstring(svg)
    assert [n.text for n in root.iter(f"{SVG}text")] == [text, "ok"]
    assert int(root.get("width")) > len(text) * 4
