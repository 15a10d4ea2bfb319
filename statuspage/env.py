"""Read settings from the environment.

Each helper names the variable in its error, so a bad deployment fails at
start-up with a sentence the operator can act on.
"""

import ipaddress
import os
import re
from datetime import timedelta

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name, default=None, *, required=False):
    value = os.environ.get(name)
    if value is None or value == "":
        if required:
            raise ImproperlyConfigured(f"{name} must be set.")
        return default
    return value


def env_bool(name, default=False):
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be one of 1/0, true/false, yes/no, on/off; got {raw!r}.")


def env_int(name, default, *, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number; got {raw!r}.") from None
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}; got {value}.")
    return value


def env_float(name, default, *, minimum=None, maximum=None):
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number; got {raw!r}.") from None
    if minimum is not None and value < minimum or maximum is not None and value > maximum:
        raise ImproperlyConfigured(f"{name} must be between {minimum} and {maximum}; got {value}.")
    return value


def env_list(name, default=()):
    raw = os.environ.get(name)
    if raw is None:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_database(name, default):
    raw = os.environ.get(name) or default
    try:
        config = dj_database_url.parse(raw, conn_max_age=60, conn_health_checks=True)
    except Exception as exc:  # dj_database_url raises several types for a bad URL
        raise ImproperlyConfigured(f"{name} is not a database URL Django understands: {exc}") from None
    if not config.get("ENGINE"):
        raise ImproperlyConfigured(f"{name} names an unknown database scheme: {raw.split(':', 1)[0]!r}.")
    return config


def env_url(name, default, *, schemes):
    value = env_str(name, default)
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme not in schemes:
        allowed = ", ".join(sorted(schemes))
        raise ImproperlyConfigured(f"{name} must start with one of {allowed}://; got {value!r}.")
    return value


def env_pattern(name, default, pattern, example):
    """A string that must match ``pattern`` in full, such as a rate ``20/h``; the error shows an example."""
    value = env_str(name, default)
    if not re.fullmatch(pattern, value):
        raise ImproperlyConfigured(f"{name} must look like {example}; got {value!r}.")
    return value


_DURATION = re.compile(r"\s*([1-9]\d*)\s*([dhm])\s*")
_DURATION_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


def env_durations(name, default):
    """Durations such as ``24h,1h,30m`` (whole days, hours or minutes), as timedeltas longest first, without repeats."""
    raw = env_str(name, default)
    durations = set()
    for part in raw.split(","):
        match = _DURATION.fullmatch(part)
        if not match:
            raise ImproperlyConfigured(
                f"{name} must look like 24h or 24h,1h,30m (whole days d, hours h or minutes m); got {raw!r}."
            )
        durations.add(timedelta(**{_DURATION_UNITS[match[2]]: int(match[1])}))
    return sorted(durations, reverse=True)


def env_networks(name):
    """A comma-separated list of networks (``10.0.0.0/8, ::1``) as ``ip_network`` objects; empty by default."""
    networks = []
    for item in env_list(name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ImproperlyConfigured(f"{name} must list networks such as 10.0.0.0/8 or ::1; got {item!r}.") from None
    return networks


CACHE_TABLE = "offpeak_cache"
# Rate-limit counters must outlive a burst of other entries: the database cache culls only past this many rows.
CACHE_MAX_ENTRIES = 100_000


def env_cache_url(name, default):
    """The ``default`` cache's settings from a URL: ``db://``, ``redis://...``, ``rediss://...``, ``locmem://`` or
    ``dummy://``."""
    url = env_url(name, default, schemes={"db", "locmem", "redis", "rediss", "dummy"})
    if url.startswith(("redis://", "rediss://")):
        return {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url}
    if url.startswith("dummy://"):
        return {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}
    if url.startswith("locmem://"):
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "offpeak"}
    if url != "db://":
        raise ImproperlyConfigured(f"{name} takes no host or path with db:// (the app's database); got {url!r}.")
    return {
        "BACKEND": "statuspage.dbcache.DatabaseCache",
        "LOCATION": CACHE_TABLE,
        "OPTIONS": {"MAX_ENTRIES": CACHE_MAX_ENTRIES},
    }
