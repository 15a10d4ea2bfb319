import json

import pytest

from tests import shell

PRINT_CACHES = "import json, statuspage.settings as s; print(json.dumps(s.CACHES['default']))"


def settings_with(**env):
    return shell.run("-c", PRINT_CACHES, SECRET_KEY="x", **env)


@pytest.mark.parametrize(
    "url, backend",
    [
        (None, "django.core.cache.backends.locmem.LocMemCache"),
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


def test_bad_cache_url_stops_start_up_naming_the_variable():
    result = settings_with(CACHE_URL="memcached://127.0.0.1:11211")
    assert result.returncode != 0
    assert "CACHE_URL must start with one of dummy, locmem, redis, rediss://" in result.stderr
