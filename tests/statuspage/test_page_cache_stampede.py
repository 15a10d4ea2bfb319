"""The page cache under load: when the content changes, one request renders the new page and the others are served
the previous one meanwhile (stale-while-revalidate); never for longer than the render lock lasts."""

import queue
import threading
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import caches
from django.http import HttpResponse
from django.test import RequestFactory

from statuspage import caching
from tests.conftest import NOW

THREADS = 8


class CountingView:
    """A page whose render can be held open, counting its renders; each render says which render it was."""

    def __init__(self):
        self.renders = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.release.set()
        self.started = threading.Event()

    def __call__(self, request):
        with self.lock:
            self.renders += 1
            number = self.renders
        self.started.set()
        assert self.release.wait(10), "the test never let the render finish"
        return HttpResponse(f"render {number}")


@pytest.fixture
def page(db):
    view = CountingView()
    return view, caching.cached_page(view)


def get(cached):
    return cached(RequestFactory().get("/")).content.decode()


def change_content():
    """What a save does (the signal bumps the counter), then the version read again, as VERSION_SECONDS passing does."""
    caching.bump()
    caching.content_version()


def in_threads(cached, count):
    results = queue.Queue()
    threads = [threading.Thread(target=lambda: results.put(get(cached))) for _ in range(count)]
    for thread in threads:
        thread.start()
    return threads, results


def test_a_change_under_load_is_rendered_once_and_the_others_get_the_previous_page(page, clock):
    view, cached = page
    assert get(cached) == "render 1"
    change_content()
    view.release.clear()  # the next render takes as long as the test wants
    threads, results = in_threads(cached, THREADS)
    assert view.started.wait(5)
    # While one request renders, the other seven are answered at once with the page they had.
    served = [results.get(timeout=5) for _ in range(THREADS - 1)]
    assert served == ["render 1"] * (THREADS - 1)
    view.release.set()
    for thread in threads:
        thread.join(5)
    assert results.get(timeout=1) == "render 2"
    assert view.renders == 2
    assert get(cached) == "render 2" and view.renders == 2  # the new page, from the cache


def test_with_nothing_cached_the_others_wait_for_the_one_render(page, clock):
    view, cached = page
    view.release.clear()
    threads, results = in_threads(cached, THREADS)
    assert view.started.wait(5)
    view.release.set()
    for thread in threads:
        thread.join(10)
    assert [results.get(timeout=1) for _ in range(THREADS)] == ["render 1"] * THREADS
    assert view.renders == 1


def test_a_page_older_than_the_cache_seconds_is_rendered_again(page, clock, settings):
    """A clock-driven change (a window starting to overrun) changes no data: the page's age brings it in."""
    view, cached = page
    assert get(cached) == "render 1"
    clock.move_to(NOW + timedelta(seconds=settings.PAGE_CACHE_SECONDS - 1))
    caching.reset_fingerprint()
    assert get(cached) == "render 1"
    clock.move_to(NOW + timedelta(seconds=settings.PAGE_CACHE_SECONDS))
    caching.reset_fingerprint()
    assert get(cached) == "render 2"


def test_the_previous_page_is_served_no_longer_than_the_render_lock_lasts(page, clock):
    """A render that never finishes (its worker died) holds the others on the old page for LOCK_SECONDS at most."""
    view, cached = page
    assert get(cached) == "render 1"
    change_content()
    caches[caching.PAGES].add("statuspage:page:en:/:rendering", "a render elsewhere", caching.LOCK_SECONDS)
    assert get(cached) == "render 1"
    with time_machine.travel(NOW + timedelta(seconds=caching.LOCK_SECONDS + 0.5), tick=False):
        assert get(cached) == "render 2"
    assert view.renders == 2


def test_with_the_page_cache_off_every_request_renders(page, clock, settings):
    settings.PAGE_CACHE_SECONDS = 0
    view, cached = page
    assert [get(cached) for _ in range(3)] == ["render 1", "render 2", "render 3"]
