"""The cached page before the middleware: an anonymous GET of a fresh page gets, without the middleware below, the
very response the whole stack made of it; anything that could change the answer goes the whole way."""

import gzip
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.test import Client

from maintenance import lifecycle
from maintenance.models import Window
from statuspage import caching
from tests.conftest import NOW

# CSPMiddleware gives every request it sees a ``csp_nonce``: a request without one never went through the stack.


def full_stack(response):
    return hasattr(response.wsgi_request, "csp_nonce")


def answer(response):
    return response.status_code, sorted(response.items()), response.content


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_ACCEPT_LANGUAGE": "de-DE,de;q=0.9"},
        {"HTTP_ACCEPT_ENCODING": "gzip, deflate, br"},
        {"HTTP_ACCEPT_LANGUAGE": "ja", "HTTP_ACCEPT_ENCODING": "gzip"},
    ],
)
def test_a_fresh_page_is_answered_before_the_middleware_with_the_same_response(client, history, headers):
    first = client.get("/", **headers)
    second = client.get("/", **headers)
    assert full_stack(first) and not full_stack(second)
    assert answer(second) == answer(first)
    # The headers the middleware below adds are all in the copy.
    for name in ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options", "Referrer-Policy", "Vary"):
        assert second[name] == first[name]
    assert second["Vary"] == "Accept-Language, Cookie, Accept-Encoding"


def test_each_language_encoding_and_scheme_gets_its_own_copy(client, history, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    client.get("/")
    german = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert full_stack(german) and german["Content-Language"] == "de" and '<html lang="de">' in german.content.decode()
    by_cookie = Client()
    by_cookie.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"
    japanese = by_cookie.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert japanese["Content-Language"] == "ja" and '<html lang="ja">' in japanese.content.decode()
    packed = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    assert packed["Content-Encoding"] == "gzip" and b'<html lang="en">' in gzip.decompress(packed.content)
    assert "Strict-Transport-Security" not in client.get("/")
    secure = client.get("/", secure=True)
    assert full_stack(secure) and secure["Strict-Transport-Security"].startswith("max-age=3600")
    assert not full_stack(client.get("/", secure=True))
    assert '<html lang="de">' in client.get("/", HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_a_signed_in_user_always_goes_through_the_whole_stack(client, history, manager):
    client.get("/")
    staff = Client()
    staff.force_login(manager)
    response = staff.get("/")
    assert full_stack(response) and response.wsgi_request.user == manager
    assert full_stack(staff.get("/"))
    admin = staff.get("/admin/")
    assert admin.status_code == 200 and full_stack(admin) and "private" in admin["Cache-Control"]
    assert full_stack(staff.get("/admin/"))


def test_a_change_is_shown_at_once_and_the_copy_is_made_again(client, history):
    client.get("/")
    client.get("/")
    lifecycle.announce(Window.objects.get(region__slug="us", month="2026-11-01"))
    changed = client.get("/")
    assert full_stack(changed)
    again = client.get("/")
    assert not full_stack(again) and again["ETag"] == changed["ETag"]


def test_conditional_requests_and_other_methods_go_through_the_whole_stack(client, history):
    first = client.get("/")
    client.get("/")
    revalidated = client.get("/", HTTP_IF_NONE_MATCH=first["ETag"])
    assert revalidated.status_code == 304 and full_stack(revalidated)
    assert revalidated["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert full_stack(client.head("/"))


def test_a_host_outside_allowed_hosts_is_refused_even_with_a_copy(client, history):
    client.get("/")
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400


def test_with_the_page_cache_off_every_request_goes_through_the_whole_stack(client, history, settings):
    settings.PAGE_CACHE_SECONDS = 0
    assert full_stack(client.get("/")) and full_stack(client.get("/"))


def test_while_the_next_page_renders_the_previous_copy_is_answered_before_the_middleware(client, history, clock):
    first = client.get("/")
    client.get("/")
    lifecycle.announce(Window.objects.get(region__slug="us", month="2026-11-01"))
    caches[caching.PAGES].add("statuspage:page:en:/:rendering", "a render elsewhere", caching.LOCK_SECONDS)
    meanwhile = client.get("/")
    assert not full_stack(meanwhile) and answer(meanwhile) == answer(first)
    with time_machine.travel(NOW + timedelta(seconds=caching.LOCK_SECONDS + 0.5), tick=False):
        renewed = client.get("/")
    assert full_stack(renewed) and renewed["ETag"] != first["ETag"]


def test_a_cross_origin_read_goes_the_whole_way_and_gets_its_cors_header(client, history):
    """A copy made for a request without an Origin has no Access-Control-Allow-Origin: a script on another site must
    still get one, and a copy made for one origin is never given to a request without it."""
    client.get("/api/v1/status/")
    plain = client.get("/api/v1/status/")
    assert not full_stack(plain) and "Access-Control-Allow-Origin" not in plain
    widget = client.get("/api/v1/status/", HTTP_ORIGIN="https://dashboard.example")
    assert full_stack(widget) and widget["Access-Control-Allow-Origin"] == "*"
    assert widget.content == plain.content
    again = client.get("/api/v1/status/")
    assert not full_stack(again) and "Access-Control-Allow-Origin" not in again
