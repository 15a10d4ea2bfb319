"""Conditional GETs and a short-lived cache of rendered public pages.

A rendered page is kept in this process's memory (the ``pages`` cache) under a
key made of the path, the language and the *content version*. The version has
two parts, both shared by every process:

- a counter in the ``default`` cache (the database's by default, or Redis) that
  the save/delete signals of every model the pages show bump;
- a fingerprint of those tables (latest change and row count of each), which
  catches changes that send no signal.

Each process reads both together, with at most one query each, every
``VERSION_SECONDS``; a change this process makes clears its reading, so it shows
here at once and in every other process within ``VERSION_SECONDS``. So a cached
page costs no query at all, whatever the default cache is: a status page under
load never waits for the database. The short timeout bounds what only the clock
changes (a window that starts overrunning).

No stampede: a page is kept under a key without the version, with the version
it was rendered for and when. When the version has moved on or the page is
older than ``PAGE_CACHE_SECONDS``, the first request to notice takes a short
lock (``cache.add``, atomic in the process's memory cache and in a shared one)
and renders; every other request meanwhile gets the previous page
(stale-while-revalidate). A page is never served stale for longer than
``LOCK_SECONDS``: after that the lock and the old page have expired and a
request renders for itself. With nothing cached at all, the others wait for the
one render (up to ``LOCK_SECONDS``) rather than start their own.

Before the middleware: ``PageCacheMiddleware`` sits near the top of MIDDLEWARE
and keeps, next to each fresh page, the whole response the rest of the stack
made of it (the security, CSP, language, Vary and compression headers). An
anonymous GET that would get that same response gets a copy of it without
passing through the session, CSRF, auth, locale, CSP or compression
middleware; anything else (a session cookie, a conditional request, a stale or
missing page) goes the whole way, where ``cached_page`` does the above.
"""

import hashlib
import time
import uuid
from functools import wraps

from django.conf import settings
from django.core.cache import cache, caches
from django.core.management import call_command
from django.http import HttpResponse
from django.middleware.gzip import re_accepts_gzip
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.translation import get_language, get_language_from_request

from maintenance import state
from maintenance.models import AuditEvent, Incident, IncidentUpdate, Region, Window

COUNTER_KEY = "statuspage:counter"
PAGES = "pages"
WATCHED = (Region, Window, Incident, IncidentUpdate, AuditEvent)
VERSION_SECONDS = 2.0
LOCK_SECONDS = 5  # the longest a render may hold the others on the previous page
WAIT_STEP = 0.02  # how often a request with nothing to serve looks for the page another one renders
_version = {"fingerprint": None, "counter": 0, "read_at": float("-inf"), "digest": None}


def create_cache_table(using="default", verbosity=1, **kwargs):
    """post_migrate receiver: make the database cache's table (when a cache uses one) in the migrated database."""
    call_command("createcachetable", database=using, verbosity=max(verbosity - 1, 0))


def bump(**kwargs):
    """Signal receiver: something the public pages show has changed."""
    try:
        cache.incr(COUNTER_KEY)
    except ValueError:
        cache.set(COUNTER_KEY, 1, None)
    reset_fingerprint()  # this process sees its own change at once


def reset_fingerprint():
    """Drop this process's reading of the content version, so the next request reads it again (as the passing of
    ``VERSION_SECONDS`` does; tests call it between cases)."""
    _version.update(fingerprint=None, counter=0, read_at=float("-inf"), digest=None)


def content_version():
    """A short string that changes whenever a public page's data changes."""
    now = time.monotonic()
    if now - _version["read_at"] >= VERSION_SECONDS:
        fingerprint, counter = state.fingerprint(), cache.get(COUNTER_KEY, 0)
        digest = hashlib.blake2s(repr((fingerprint, counter)).encode(), digest_size=8).hexdigest()
        _version.update(fingerprint=fingerprint, counter=counter, digest=digest, read_at=now)  # one step
    return _version["digest"]


def etag_for(content):
    return '"' + hashlib.blake2s(content, digest_size=12).hexdigest() + '"'


def conditional(view):
    """Give a GET/HEAD response an ETag and answer a matching ``If-None-Match`` with 304."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        return finish(request, response)

    return wrapper


def finish(request, response):
    if request.method not in ("GET", "HEAD") or response.status_code != 200 or response.streaming:
        return response
    if hasattr(response, "render") and not getattr(response, "is_rendered", True):
        response.render()
    if not response.has_header("ETag"):
        response["ETag"] = etag_for(response.content)
    patch_cache_control(response, public=True, max_age=settings.PUBLIC_MAX_AGE)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return get_conditional_response(request, etag=response["ETag"], response=response)


def cached_page(view):
    """Serve a rendered page from the cache while the content version and language are unchanged; while one
    request renders a newer page, the others get the previous one."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return finish(request, view(request, *args, **kwargs))
        # The path without the query string: a cached page takes no parameters, and random query strings must
        # not each cost a full render.
        if not settings.PAGE_CACHE_SECONDS:
            return finish(request, view(request, *args, **kwargs))
        pages = caches[PAGES]
        version = content_version()
        key = page_key(get_language(), request.path)
        hit = pages.get(key)
        if hit is not None and is_fresh(hit, version):
            return from_cache(request, hit)
        lock, token = key + ":rendering", uuid.uuid4().hex
        if not pages.add(lock, token, LOCK_SECONDS):
            if hit is not None:
                return from_cache(request, hit)  # another request is rendering the new page
            hit = wait_for(pages, key, lock)
            if hit is not None:
                return from_cache(request, hit)
        try:
            hit = pages.get(key)  # a render that finished between the first look and the lock
            if hit is not None and is_fresh(hit, version):
                return from_cache(request, hit)
            return render_and_keep(request, view, args, kwargs, pages, key, version)
        finally:
            if pages.get(lock) == token:
                pages.delete(lock)

    return wrapper


def page_key(language, path):
    return f"statuspage:page:{language}:{path}"


def is_fresh(hit, version):
    return hit["version"] == version and time.time() - hit["rendered_at"] < settings.PAGE_CACHE_SECONDS


def from_cache(request, hit):
    response = HttpResponse(hit["content"], content_type=hit["content_type"])
    response["ETag"] = hit["etag"]
    response["Content-Language"] = get_language()
    response.page_entry = hit
    return finish(request, response)


def wait_for(pages, key, lock):
    """The page another request is rendering, once it is there; None when that render gave up (its lock is gone
    and no page came) or after ``LOCK_SECONDS``."""
    deadline = time.monotonic() + LOCK_SECONDS
    while time.monotonic() < deadline:
        time.sleep(WAIT_STEP)
        rendering = pages.get(lock) is not None  # asked first: a render stores its page before it lets go
        hit = pages.get(key)
        if hit is not None or not rendering:
            return hit
    return None


def render_and_keep(request, view, args, kwargs, pages, key, version):
    response = view(request, *args, **kwargs)
    if hasattr(response, "render") and not response.is_rendered:
        response.render()
    if response.status_code == 200:
        response["ETag"] = etag_for(response.content)
        hit = {
            "version": version,
            "rendered_at": time.time(),
            "content": response.content,
            "content_type": response["Content-Type"],
            "etag": response["ETag"],
        }
        # Kept a little past its freshness, as the previous page to serve while the next one renders.
        pages.set(key, hit, settings.PAGE_CACHE_SECONDS + LOCK_SECONDS)
        response.page_entry = hit
    return finish(request, response)


class PageCacheMiddleware:
    """Answer an anonymous GET of a cached page with the whole response the middleware below made of that page the
    last time, while the page is fresh (see the module's docstring).

    Only what cannot change the answer skips the middleware: a GET without a session cookie (so never a signed-in
    user), without If-None-Match or If-Modified-Since, without an Origin (its CORS headers depend on it), for a
    page ``cached_page`` gave out fresh, with no cookie set and no CSP nonce used. The copy is kept per path,
    language (chosen as LocaleMiddleware chooses it), scheme and gzip or not, and only while the page it was made
    from is fresh; the host is still checked against ALLOWED_HOSTS.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        # The URL match of each path a copy was ever kept for (for the latency figures, which name the view); any
        # other path goes straight on.
        self.matches = {}

    def __call__(self, request):
        key = self.key(request) if request.path in self.matches else None
        copy = caches[PAGES].get(key) if key and settings.PAGE_CACHE_SECONDS else None
        if copy is not None and (is_fresh(copy, content_version()) or self.rendering(request, copy)):
            request.get_host()  # a host outside ALLOWED_HOSTS gets its 400, as below
            request.resolver_match = self.matches[request.path]
            response = HttpResponse(copy["content"], status=copy["status"])
            for name, value in copy["headers"]:
                response.headers[name] = value
            return response
        response = self.get_response(request)
        entry = getattr(response, "page_entry", None)
        if entry is not None and self.keepable(request, response, entry) and self.key(request):
            copy = {
                "version": entry["version"],
                "rendered_at": entry["rendered_at"],
                "language": response["Content-Language"],
                "status": response.status_code,
                "headers": list(response.items()),
                "content": response.content,
            }
            # Kept as long as its page, to stand for it while the next one renders.
            timeout = settings.PAGE_CACHE_SECONDS + LOCK_SECONDS
            caches[PAGES].set(self.key(request, response["Content-Language"]), copy, timeout)
            self.matches[request.path] = request.resolver_match
        return response

    @staticmethod
    def key(request, language=None):
        if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES:
            return None
        if "HTTP_IF_NONE_MATCH" in request.META or "HTTP_IF_MODIFIED_SINCE" in request.META:
            return None
        if "HTTP_ORIGIN" in request.META:  # CORS headers answer the request's Origin
            return None
        language = language or get_language_from_request(request)
        scheme = "https" if request.is_secure() else "http"
        gzip = "gzip" if re_accepts_gzip.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) else "identity"
        return f"statuspage:response:{language}:{scheme}:{gzip}:{request.path}"

    @staticmethod
    def rendering(request, copy):
        """Whether another request is rendering the next page while ``cached_page`` gives out the one this copy was
        made from (the copy is then what the stack would make of it)."""
        pages, key = caches[PAGES], page_key(copy["language"], request.path)
        entry = pages.get(key)
        return entry is not None and entry["rendered_at"] == copy["rendered_at"] and pages.get(key + ":rendering")

    @staticmethod
    def keepable(request, response, entry):
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not isinstance(getattr(request, "_csp_nonce", None), str)
            and response.get("Content-Language")
            and is_fresh(entry, content_version())
        )
