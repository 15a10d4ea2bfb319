"""The integrations' settings: checked at start-up with one line naming the variable, and the broker timeouts."""

import json

import pytest

from tests import shell

# Each test starts manage.py, gunicorn or a worker in a fresh process.
pytestmark = pytest.mark.slow

PRINT = "from django.conf import settings; import json; print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))"


def _start(**environ):
    return shell.run("manage.py", "check", DEBUG="1", **environ)


def _transport_options(**environ):
    result = shell.run("manage.py", "shell", "-c", PRINT, DEBUG="1", **environ)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "name, value, sentence",
    [
        (
            "METRICS_ALLOWED_NETWORKS",
            "10.0.0.0/8, intranet",
            "must list networks such as 10.0.0.0/8 or ::1; got 'intranet'.",
        ),
        ("AUTOMATION_FLAP_MINUTES", "-1", "must be between 0 and 1440; got -1."),
        ("AUTOMATION_MAX_ALERTS", "many", "must be a whole number; got 'many'."),
    ],
)
def test_bad_integration_settings_stop_the_start_with_one_line(name, value, sentence):
    result = _start(**{name: value})
    assert result.returncode == 2
    assert result.stderr.strip() == f"Configuration error: {name} {sentence}"


def test_a_redis_visibility_timeout_shorter_than_the_longest_retry_is_refused():
    result = _start(
        CELERY_BROKER_URL="redis://127.0.0.1:6379/0", CELERY_VISIBILITY_TIMEOUT="300", DELIVERY_RETRY_BASE_SECONDS="60"
    )
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "Configuration error: CELERY_VISIBILITY_TIMEOUT (300s) must exceed the longest delivery retry countdown "
        "(480s, from DELIVERY_RETRY_BASE_SECONDS and DELIVERY_MAX_ATTEMPTS) plus DELIVERY_LEASE_SECONDS (300s)."
    )


def test_a_rabbitmq_consumer_timeout_shorter_than_the_longest_retry_is_refused():
    result = _start(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//", RABBITMQ_CONSUMER_TIMEOUT="500")
    assert result.returncode == 2
    assert result.stderr.strip().startswith("Configuration error: RABBITMQ_CONSUMER_TIMEOUT (500s) must exceed")


def test_each_broker_gets_its_own_timeout_options():
    redis = _transport_options(CELERY_BROKER_URL="redis://127.0.0.1:6379/0")
    assert (redis["visibility_timeout"], redis.get("confirm_publish")) == (3600, None)
    amqp = _transport_options(CELERY_BROKER_URL="amqp://guest:guest@127.0.0.1:5672//")
    assert (amqp["confirm_publish"], amqp.get("visibility_timeout")) == (True, None)
