from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from statuspage import env
from tests import shell


@pytest.mark.parametrize("raw, expected", [("1", True), ("true", True), ("ON", True), ("0", False), ("no", False)])
def test_env_bool_reads_common_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("FLAG", raw)
    assert env.env_bool("FLAG") is expected


def test_env_bool_names_the_variable_on_a_bad_value(monkeypatch):
    monkeypatch.setenv("DEBUG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="DEBUG must be one of"):
        env.env_bool("DEBUG")


def test_env_int_checks_type_and_range(monkeypatch):
    monkeypatch.setenv("N", "12")
    assert env.env_int("N", 1, minimum=1, maximum=120) == 12
    monkeypatch.setenv("N", "twelve")
    with pytest.raises(ImproperlyConfigured, match="N must be a whole number"):
        env.env_int("N", 1)
    monkeypatch.setenv("N", "500")
    with pytest.raises(ImproperlyConfigured, match="N must be between 1 and 120"):
        env.env_int("N", 1, minimum=1, maximum=120)


def test_env_database_parses_urls_and_names_the_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://app@db.internal:5432/offpeak")
    config = env.env_database("DATABASE_URL", "sqlite:///x")
    assert (config["ENGINE"], config["NAME"], config["HOST"]) == (
        "django.db.backends.postgresql",
        "offpeak",
        "db.internal",
    )
    monkeypatch.setenv("DATABASE_URL", "nosuchdb://x")
    with pytest.raises(ImproperlyConfigured, match="DATABASE_URL"):
        env.env_database("DATABASE_URL", "sqlite:///x")


def test_env_url_checks_the_scheme(monkeypatch):
    monkeypatch.setenv("CELERY_BROKER_URL", "http://example")
    with pytest.raises(ImproperlyConfigured, match="CELERY_BROKER_URL must start with one of"):
        env.env_url("CELERY_BROKER_URL", "filesystem://", schemes={"filesystem", "redis"})


def test_env_durations_reads_leads_longest_first_once_each(monkeypatch):
    monkeypatch.setenv("NOTIFY_REMINDER_LEADS", "24h, 1h,30m,1d")
    assert env.env_durations("NOTIFY_REMINDER_LEADS", "24h") == [
        timedelta(days=1),
        timedelta(hours=1),
        timedelta(minutes=30),
    ]
    monkeypatch.setenv("NOTIFY_REMINDER_LEADS", "")
    assert env.env_durations("NOTIFY_REMINDER_LEADS", "24h") == [timedelta(hours=24)]


@pytest.mark.parametrize("raw", ["24 hours", "0h", "24h,", "1w", "-1h"])
def test_env_durations_names_the_variable_on_a_bad_value(monkeypatch, raw):
    monkeypatch.setenv("NOTIFY_REMINDER_LEADS", raw)
    with pytest.raises(ImproperlyConfigured) as error:
        env.env_durations("NOTIFY_REMINDER_LEADS", "24h")
    assert str(error.value) == (
        f"NOTIFY_REMINDER_LEADS must look like 24h or 24h,1h,30m (whole days d, hours h or minutes m); got {raw!r}."
    )


def _start(**environ):
    return shell.run("manage.py", "check", **environ)


@pytest.mark.slow  # a fresh process
def test_startup_without_secret_key_fails_with_one_line_naming_it():
    result = _start(DEBUG="0")
    assert result.returncode == 2
    assert result.stderr.strip() == "Configuration error: SECRET_KEY must be set when DEBUG is off."


@pytest.mark.slow  # a fresh process
def test_startup_with_a_bad_value_names_the_variable():
    result = _start(DEBUG="1", CELERY_BROKER_URL="http://nope")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Configuration error: CELERY_BROKER_URL must start with one of")


@pytest.mark.slow  # a fresh process
def test_debug_gives_a_development_key_so_make_run_needs_no_setup():
    result = _start(DEBUG="1")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    "name, value",
    [("SUBSCRIBE_RATE_PER_IP", "lots"), ("SUBSCRIBE_RATE_PER_ADDRESS", "0/h"), ("NOTIFY_REMINDER_LEADS", "24 hours")],
)
@pytest.mark.slow  # a fresh process
def test_rates_and_reminder_leads_are_checked_at_startup(name, value):
    result = _start(DEBUG="1", **{name: value})
    assert result.returncode == 2
    assert result.stderr.strip().startswith(f"Configuration error: {name} must look like")


@pytest.mark.slow  # a fresh process
def test_valid_rates_and_leads_start():
    result = _start(
        DEBUG="1",
        NOTIFY_REMINDER_LEADS="24h, 1h,30m",
        SUBSCRIBE_RATE_PER_IP="100/5m",
    )
    assert result.returncode == 0, result.stderr


def test_the_beat_schedule_runs_every_periodic_task_and_each_is_registered(settings):
    from statuspage.celery import app

    app.loader.import_default_modules()
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert tasks == {
        "maintenance.tasks.advance_windows",
        "maintenance.tasks.check_zone_rules",
        "maintenance.tasks.plan_windows",
        "maintenance.tasks.purge_idempotency_keys",
        "notifications.tasks.schedule_due",
        "notifications.tasks.purge_unconfirmed",
        "endpoints.tasks.schedule_due",
    }
    assert tasks <= set(app.tasks)


def test_the_content_security_policy_is_set_right_after_the_security_middleware(settings):
    assert "csp" in settings.INSTALLED_APPS
    security = settings.MIDDLEWARE.index("django.middleware.security.SecurityMiddleware")
    assert settings.MIDDLEWARE[security + 1] == "csp.middleware.CSPMiddleware"
