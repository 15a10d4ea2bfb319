import secrets

import pytest

from tests import shell

# Each test starts manage.py, gunicorn or a worker in a fresh process.
pytestmark = pytest.mark.slow


def production_env(**extra):
    return {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "status.example.com",
        "SITE_URL": "https://status.example.com",
        **extra,
    }


def test_check_deploy_is_clean_with_the_documented_environment():
    result = shell.run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **production_env())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues (0 silenced)." in result.stdout


def test_gunicorn_refuses_to_start_without_secret_key_in_one_line(tmp_path):
    env = production_env()
    del env["SECRET_KEY"]
    result = shell.run("-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", "127.0.0.1:0", "statuspage.wsgi", **env)
    assert result.returncode == 2
    assert "Configuration error: SECRET_KEY must be set when DEBUG is off." in result.stderr.splitlines()


def test_worker_refuses_to_start_with_a_bad_variable_in_one_line():
    result = shell.run("-m", "celery", "-A", "statuspage", "worker", "--pool=solo", **production_env(DEBUG="perhaps"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "Configuration error: DEBUG must be one of 1/0, true/false, yes/no, on/off; got 'perhaps'."
    ]


@pytest.mark.django_db
def test_healthz_is_200_when_database_and_broker_answer(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_is_503_when_the_broker_is_unreachable(client, settings):
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "unavailable"}


@pytest.mark.django_db
def test_security_headers_are_set(client):
    response = client.get("/api/v1/regions/")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response["X-Frame-Options"] == "DENY"
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "object-src 'none'" in csp
    script_src = next(part for part in csp.split(";") if part.strip().startswith("script-src"))
    assert "'unsafe-inline'" not in script_src and "'self'" in script_src


def test_a_web_worker_loads_the_brokers_transport_before_its_first_publish_without_connecting():
    """load_publisher (gunicorn's post_worker_init) imports what the first published task needs, touching no broker:
    here none listens, and it returns at once; the publish that follows imports no module of its own."""
    code = """
import sys, django
django.setup()
from statuspage.celery import app, load_publisher
load_publisher()
print("kombu.transport.redis" in sys.modules)
before = set(sys.modules)
try:
    app.send_task("endpoints.tasks.schedule_due", retry=False)
except Exception as exc:
    print(type(exc).__name__)
print(sorted(name for name in set(sys.modules) - before if name.startswith(("kombu", "celery", "redis"))))
"""
    env = production_env(CELERY_BROKER_URL="redis://127.0.0.1:9/0")
    result = shell.run("-c", code, **{"DJANGO_SETTINGS_MODULE": "statuspage.settings", **env})
    assert result.returncode == 0, result.stderr
    loaded, *_error, imported_by_publish = result.stdout.strip().splitlines()
    assert loaded == "True"
    assert _error  # nothing listens on port 9: only the publish tried to connect
    assert imported_by_publish == "[]"


@pytest.mark.parametrize("signal", ["worker_ready", "worker_process_init"])
def test_a_celery_worker_moves_what_starting_made_out_of_the_garbage_collectors_sight(signal):
    """Once a worker is ready (solo and threads pools), or a prefork child is forked, what starting made is frozen:
    a full collection in the middle of a fan-out walks only what the tasks made."""
    code = f"""
import gc, django
django.setup()
from celery import signals
import statuspage.celery
print(gc.get_freeze_count())
signals.{signal}.send(sender=None)
print(gc.get_freeze_count())
"""
    result = shell.run("-c", code, DJANGO_SETTINGS_MODULE="statuspage.settings", **production_env())
    assert result.returncode == 0, result.stderr
    before, after = (int(line) for line in result.stdout.split())
    assert before == 0
    assert after > 50_000  # Django, Celery and the app's modules
