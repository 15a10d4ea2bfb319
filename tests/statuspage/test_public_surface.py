"""What the public surface answers other origins and browsers: CORS on the reads only, compressed text, and a
language cookie that stays on this site."""

import gzip
import json
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from maintenance.models import Window
from tests import shell

ORIGIN = "https://dashboard.example.org"
READS = [
    "/api/v2/summary.json",
    "/api/v2/status.json",
    "/api/v1/regions/",
    "/api/v1/status/",
    "/feeds/maintenance.atom",
]


@pytest.mark.django_db
@pytest.mark.parametrize("path", READS)
def test_public_reads_allow_any_origin_without_credentials(client, regions, path):
    response = client.get(path, HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_a_preflight_for_a_read_is_allowed_for_reads_and_safe_headers_only(client, regions):
    response = client.options(
        "/api/v2/summary.json",
        HTTP_ORIGIN=ORIGIN,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert response.status_code == 200 and response["Access-Control-Allow-Origin"] == "*"
    assert response["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "authorization" not in response["Access-Control-Allow-Headers"]
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.django_db
def test_writes_and_pages_get_no_cors_allowance(client, regions):
    window = Window.objects.create(
        region=regions["us"],
        month="2026-11-01",
        starts_at=datetime(2026, 11, 28, 21, tzinfo=UTC),
        ends_at=datetime(2026, 11, 28, 22, tzinfo=UTC),
    )
    start = f"/api/v1/windows/{window.pk}/start/"
    preflight = client.options(start, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in preflight
    assert "Access-Control-Allow-Origin" not in client.post(start, HTTP_ORIGIN=ORIGIN)
    subscribe = client.post(
        "/api/v1/subscriptions/",
        json.dumps({"email": "a@example.com", "regions": ["us"]}),
        content_type="application/json",
        HTTP_ORIGIN=ORIGIN,
    )
    assert "Access-Control-Allow-Origin" not in subscribe
    for page in ["/", "/subscribe/", "/admin/login/"]:
        assert "Access-Control-Allow-Origin" not in client.get(page, HTTP_ORIGIN=ORIGIN), page


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/api/v2/summary.json", "/api/v1/regions/", "/feeds/maintenance.atom"])
def test_text_responses_are_gzipped_for_clients_that_accept_it(client, regions, path):
    with time_machine.travel(datetime(2026, 11, 10, 12, 0, tzinfo=UTC), tick=False):  # the feed says when it is
        plain = client.get(path)
        packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert "Content-Encoding" not in plain and packed["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed["Vary"]
    assert gzip.decompress(packed.content) == plain.content


@pytest.mark.django_db
def test_the_status_page_goes_out_much_smaller_and_still_from_the_page_cache(
    client, regions, django_assert_num_queries
):
    plain = client.get("/")
    packed = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and len(packed.content) * 4 < len(plain.content)
    with django_assert_num_queries(0):
        again = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert gzip.decompress(again.content) == plain.content
    # A conditional GET still answers 304 with the (now weak) ETag of the compressed answer.
    assert client.get("/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=again["ETag"]).status_code == 304


@pytest.mark.django_db
def test_the_language_cookie_is_secure_same_site_and_http_only_in_production(client, settings):
    settings.LANGUAGE_COOKIE_SECURE = True  # as in production; the test settings speak plain HTTP
    response = client.post(reverse("set_language"), {"language": "de", "next": "/"})
    cookie = response.cookies[settings.LANGUAGE_COOKIE_NAME]
    assert cookie.value == "de"
    assert cookie["secure"] is True and cookie["samesite"] == "Lax" and cookie["httponly"] is True


PRINT_COOKIE = (
    "import json, statuspage.settings as s; "
    "print(json.dumps([s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_SAMESITE, s.LANGUAGE_COOKIE_HTTPONLY]))"
)


@pytest.mark.parametrize("debug, secure", [("0", True), ("1", False)])
def test_the_language_cookie_settings_follow_production(debug, secure):
    result = shell.run("-c", PRINT_COOKIE, SECRET_KEY="x", DEBUG=debug)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [secure, "Lax", True]
