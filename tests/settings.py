"""Settings for the test suite: the real settings with a throwaway key and a private var/ folder."""

import os
from pathlib import Path

os.environ.setdefault("SECRET_KEY", "test-only-secret-key")
os.environ.setdefault("OFFPEAK_VAR_DIR", str(Path(__file__).resolve().parent.parent / "var" / "test"))

from statuspage.settings import *  # noqa: E402,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
# Pages render without running collectstatic first.
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}  # noqa: F405
# The test servers speak plain HTTP on localhost.
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
LANGUAGE_COOKIE_SECURE = False
SECURE_HSTS_SECONDS = 0
# Serve static files from the app folders, as runserver does, so live-server tests need no collectstatic.
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True
# One process, and tests that must not see each other's counters: per-process memory, emptied before each test
# (tests/conftest.py). tests/statuspage/test_cache_settings.py proves the real default, the database cache.
_LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "offpeak-tests"}
CACHES = {**CACHES, "default": _LOCMEM}  # noqa: F405
# That is the per-process cache statuspage.W001 warns about when several web workers run; the tests are one process.
SILENCED_SYSTEM_CHECKS = ["statuspage.W001"]
# Two runs against one PostgreSQL server (two checkouts, or CI beside a developer's run) must never share a test
# database: one run's flush would empty the other's tables, and one run's worker would send the other's rows.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_{DATABASES['default']['NAME']}_{os.getpid()}"}  # noqa: F405
