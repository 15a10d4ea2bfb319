import json
import os
import subprocess
import sys

import pytest
from django.core.cache import cache
from django.core.management import call_command

from statuspage import checks
from tests import shell

PRINT_CACHES = "import json, statuspage.settings as s; print(json.dumps(s.CACHES['default']))"
DATABASE_CACHE = "statuspage.dbcache.DatabaseCache"


def settings_with(**env):
    return shell.run("-c", PRINT_CACHES, SECRET_KEY="x", **env)


@pytest.mark.parametrize(
    "url, backend",
    [
        (None, DATABASE_CACHE),
        ("db://", DATABASE_CACHE),
        ("locmem://", "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://127.0.0.1:6379/4", "django.core.cache.backends.redis.RedisCache"),
        ("dummy://", "django.core.cache.backends.dummy.DummyCache"),
    ],
)
def test_cache_url_picks_the_default_cache(url, backend):
    result = settings_with(**({"CACHE_URL": url} if url else {}))
    assert result.returncode == 0, result.stderr
    config = json.loads(result.stdout)
    assert config["BACKEND"] == backend
    if url and url.startswith("redis"):
        assert config["LOCATION"] == url
    if backend == DATABASE_CACHE:
        assert config["LOCATION"] == "offpeak_cache" and config["OPTIONS"]["MAX_ENTRIES"] == 100_000


def test_bad_cache_url_stops_start_up_naming_the_variable():
    result = settings_with(CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert "CACHE_URL must start with one of db, dummy, locmem, redis, rediss://" in result.stderr


def test_a_db_cache_url_with_a_location_is_refused():
    result = settings_with(CACHE_URL="db://elsewhere")
    assert result.returncode != 0
    assert "CACHE_URL takes no host or path with db://" in result.stderr


# Counts on the default cache as django-ratelimit does (add, then incr), N times; prints what the cache then holds.
COUNT = """
import json, sys, django
django.setup()
from django.core.cache import caches
from django.db import connection
cache = caches["default"]
key, times = sys.argv[1], int(sys.argv[2])
cache.add(key, 0, 3600)
for _ in range(times):
    cache.incr(key)
with connection.cursor() as cursor:
    cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'offpeak_cache'")
    tables = cursor.fetchall()
    cursor.execute("SELECT expires FROM offpeak_cache")
    expiries = [str(row[0]) for row in cursor.fetchall()]
print(json.dumps({"backend": type(cache).__module__, "count": cache.get(key), "tables": tables, "expiries": expiries}))
"""


@pytest.mark.slow  # a fresh process
def test_by_default_every_process_shares_one_counter_in_the_database(tmp_path):
    """With no CACHE_URL, `migrate` makes the cache table, and two processes counting at once on one key (as the
    rate limits do) end with the sum of their counts; the key keeps the expiry it was added with."""
    # A database of the test's own (SQLite in tmp_path), whatever DATABASE_URL the suite runs with.
    env = {
        "SECRET_KEY": "x",
        "DEBUG": "0",
        "OFFPEAK_VAR_DIR": str(tmp_path),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'offpeak.sqlite3'}",
    }
    migrated = shell.run("manage.py", "migrate", "--noinput", **env)
    assert migrated.returncode == 0, migrated.stderr
    environ = {k: v for k, v in os.environ.items() if k not in shell.DECIDED_BY_THE_TEST}
    environ.update(env, DJANGO_SETTINGS_MODULE="statuspage.settings")
    command = [sys.executable, "-c", COUNT, "ratelimit:subscribe", "60"]
    both = [subprocess.Popen(command, cwd=shell.ROOT, env=environ, stdout=subprocess.PIPE, text=True) for _ in "ab"]
    outputs = [json.loads(process.communicate(timeout=120)[0]) for process in both]
    assert [process.returncode for process in both] == [0, 0]
    final = shell.run("-c", COUNT, "ratelimit:subscribe", "0", DJANGO_SETTINGS_MODULE="statuspage.settings", **env)
    assert final.returncode == 0, final.stderr
    after = json.loads(final.stdout)
    assert after["backend"] == "statuspage.dbcache" and after["tables"] == [["offpeak_cache"]]
    assert after["count"] == 120
    assert len(after["expiries"]) == 1 and all(output["expiries"] == after["expiries"] for output in outputs)


@pytest.fixture
def database_cache(settings, db):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": DATABASE_CACHE, "LOCATION": "offpeak_cache"}}
    call_command("createcachetable", verbosity=0)
    yield cache


def test_database_cache_incr_keeps_the_expiry_and_refuses_a_missing_key(database_cache):
    from django.db import connection

    database_cache.add("n", 5, 3600)
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM offpeak_cache")
        (before,) = cursor.fetchone()
        assert database_cache.incr("n") == 6 and database_cache.incr("n", 4) == 10 and database_cache.decr("n") == 9
        cursor.execute("SELECT expires FROM offpeak_cache")
        assert cursor.fetchone() == (before,)
    assert database_cache.get("n") == 9
    with pytest.raises(ValueError):
        database_cache.incr("missing")


def test_a_cached_page_costs_no_query_with_the_database_cache(
    database_cache, client, regions, django_assert_num_queries
):
    first = client.get("/")
    assert first.status_code == 200
    with django_assert_num_queries(0):  # the page is in this process's memory; the version was read just now
        again = client.get("/")
    assert again.content == first.content


def test_the_rendered_pages_stay_in_process_memory_whatever_the_default_cache():
    for url, pages in [
        (None, "django.core.cache.backends.locmem.LocMemCache"),
        ("redis://127.0.0.1:6379/4", "django.core.cache.backends.locmem.LocMemCache"),
        ("dummy://", "django.core.cache.backends.dummy.DummyCache"),
    ]:
        result = shell.run(
            "-c", PRINT_CACHES.replace("'default'", "'pages'"), SECRET_KEY="x", **({"CACHE_URL": url} if url else {})
        )
        assert json.loads(result.stdout)["BACKEND"] == pages, url


def test_per_process_cache_with_several_web_workers_is_warned_about(settings, monkeypatch):
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    (warning,) = checks.per_process_cache()
    assert warning.id == "statuspage.W001" and "3 web workers" in warning.msg
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    assert checks.per_process_cache() == []
    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    settings.CACHES = {**settings.CACHES, "default": {"BACKEND": DATABASE_CACHE, "LOCATION": "offpeak_cache"}}
    assert checks.per_process_cache() == []


@pytest.mark.slow  # a fresh process
def test_manage_check_shows_the_per_process_cache_warning():
    result = shell.run("manage.py", "check", SECRET_KEY="x", DEBUG="1", CACHE_URL="locmem://", WEB_CONCURRENCY="4")
    assert result.returncode == 0, result.stderr
    assert "statuspage.W001" in result.stderr + result.stdout and "4 web workers" in result.stderr + result.stdout
    default = shell.run("manage.py", "check", SECRET_KEY="x", DEBUG="1", WEB_CONCURRENCY="4")
    assert "statuspage.W001" not in default.stderr + default.stdout
