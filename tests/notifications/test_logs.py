"""Signed links stay out of the logs: gunicorn's access log, Django's request log, and the development mail
backend, which writes whole mails to var/outbox/ and only a summary line to the console."""

import logging
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from django.core import mail

from notifications import tokens
from notifications.backends import FileAndConsoleBackend
from notifications.emails import build_message
from notifications.logs import redact
from notifications.models import Delivery
from tests import shell

TOKEN = "0123456789abcdef0123456789abcdef:1xYzAb:SeCrEtSiGnAtUrE_value-1"


def test_redact_keeps_the_path_and_drops_the_token():
    line = f'GET /subscription/confirm/{TOKEN}/?a=1 HTTP/1.1" 400 "https://x/subscription/manage/{TOKEN}/"'
    assert redact(line) == (
        'GET /subscription/confirm/[token]/?a=1 HTTP/1.1" 400 "https://x/subscription/manage/[token]/"'
    )
    assert redact("/subscription/unsubscribe/abc") == "/subscription/unsubscribe/[token]"
    assert redact("/subscribe/") == "/subscribe/"


def test_djangos_request_log_names_the_path_without_the_token(client, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/subscription/confirm/{TOKEN}/").status_code == 400
    messages = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert messages == ["Bad Request: /subscription/confirm/[token]/"]


def test_the_runserver_log_names_the_path_without_the_token(caplog):
    with caplog.at_level(logging.INFO, logger="django.server"):
        logging.getLogger("django.server").info('"%s" %s %s', f"GET /subscription/manage/{TOKEN}/ HTTP/1.1", 200, 10)
    assert [record.getMessage() for record in caplog.records] == ['"GET /subscription/manage/[token]/ HTTP/1.1" 200 10']


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_gunicorn_access_log_carries_the_path_without_the_token():
    port = free_port()
    env = {
        **{k: v for k, v in shell.os.environ.items() if k not in shell.DECIDED_BY_THE_TEST},
        "OFFPEAK_VAR_DIR": shell.VAR,
        "DEBUG": "1",
        "WEB_CONCURRENCY": "1",
        "WEB_ACCESS_LOG": "-",
    }
    command = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "--bind", f"127.0.0.1:{port}"]
    server = subprocess.Popen(
        [*command, "statuspage.wsgi"],
        cwd=shell.ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/subscription/unsubscribe/{TOKEN}/",
            headers={"Referer": f"http://127.0.0.1:{port}/subscription/manage/{TOKEN}/", "Host": "localhost"},
        )
        status = None
        deadline = time.monotonic() + 60
        while status is None and time.monotonic() < deadline:
            try:
                urllib.request.urlopen(request, timeout=5)
            except urllib.error.HTTPError as answer:
                status = answer.code
            except OSError:
                time.sleep(0.2)
        assert status == 400
    finally:
        server.terminate()
        out, err = server.communicate(timeout=30)
    logged = out + err
    assert "/subscription/unsubscribe/[token]/" in logged and "/subscription/manage/[token]/" in logged
    assert "SeCrEtSiGnAtUrE" not in logged and "0123456789abcdef" not in logged


def test_the_development_backend_prints_a_summary_not_the_mail(tmp_path, settings, make_subscriber, capsys, caplog):
    settings.EMAIL_BACKEND = "notifications.backends.FileAndConsoleBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    ada = make_subscriber(state="pending")
    row = Delivery.objects.create(subscriber=ada, kind="confirm", sequence=1, created_at=ada.created_at)
    message = build_message(row)
    confirm_path = f"/subscription/confirm/{tokens.make(tokens.CONFIRM, ada.key)}/"
    assert confirm_path in message.body
    with caplog.at_level(logging.INFO, logger="notifications.backends"):
        assert FileAndConsoleBackend(file_path=str(tmp_path)).send_messages([message]) == 1
    printed = capsys.readouterr()
    assert "/subscription/confirm/" not in printed.out + printed.err
    [summary] = [r.getMessage() for r in caplog.records if r.name == "notifications.backends"]
    assert summary.startswith(f"mail {message.extra_headers['Message-ID']} to 1 recipient(s), subject ")
    assert "/subscription/" not in summary and "ada@example.com" not in summary
    [written] = list(tmp_path.iterdir())
    assert confirm_path in written.read_text()
    assert mail.outbox == []
