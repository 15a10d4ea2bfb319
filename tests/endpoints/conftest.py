"""Real parts for the endpoint tests: a local HTTP/1.1 (keep-alive) webhook receiver that verifies Standard Webhooks
signatures and answers as told (200, 500, 410, a redirect, no answer, ...), and subscriptions and channels pointing
at it."""

import ipaddress
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest
from django.utils import timezone
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from endpoints import http, subscriptions, vault
from endpoints.models import Channel, WebhookSubscription
from tests.notifications.conftest import eager  # noqa: F401  (the same in-process Celery for these tests)


@pytest.fixture(autouse=True)
def local_endpoints(settings):
    """Tests and development reach endpoints on 127.0.0.1 over plain http through the operator's settings."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOWED_NETWORKS = [ipaddress.ip_network("127.0.0.0/8")]
    yield
    http.connections.clear()  # no test reuses another's kept connections


class Receiver:
    """What the local server got, and what it answers next. ``answers`` is a list consumed one per request
    (then ``default``): an int status, ``"redirect"`` (302 to ``/elsewhere``), ``"hang"`` (no answer until
    ``release`` is set or 30 s pass), ``"drop"`` (the connection closed without an answer), ``"close"`` (200, then
    the connection closed without a word) or ``"chunked"`` (200 with ``body`` in chunks)."""

    def __init__(self):
        self.requests = []  # (path, headers dict, body bytes)
        self.peers = []  # the client's (address, port) of each request: one port per connection
        self.delivered = []  # verified payloads of the requests answered 2xx, in arrival order
        self.delivered_to = []  # (path, payload) of the same
        self.rejected = []  # verification errors
        self.secrets = {}  # path: the signing secret of the subscription posting there
        self.answers = []
        self.default = 200
        self.body = b"ok"
        self.release = threading.Event()
        self.lock = threading.Lock()

    def next_answer(self):
        with self.lock:
            return self.answers.pop(0) if self.answers else self.default


def _handler(receiver):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # connections are kept open between requests

        def log_message(self, *args):
            pass

        def _answer(self, status, body=b"", headers=()):
            try:
                self.send_response(status)
                for name, value in headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting, as it should

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            headers = {name.lower(): value for name, value in self.headers.items()}
            receiver.requests.append((self.path, headers, body))
            receiver.peers.append(self.client_address)
            answer = receiver.next_answer()
            if answer == "drop":
                self.close_connection = True
                return None
            if answer == "close":
                self._answer(200, receiver.body)
                self.close_connection = True
                return None
            if answer == "chunked":
                self.send_response(200)
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for start in range(0, len(receiver.body), 1000):
                    piece = receiver.body[start : start + 1000]
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
                self.wfile.write(b"0\r\n\r\n")
                return None
            if answer == "hang":
                receiver.release.wait(30)
                return self._answer(200, b"too late")
            if answer == "redirect":
                return self._answer(302, b"", [("Location", "/elsewhere")])
            if 200 <= answer < 300:
                try:
                    secret = receiver.secrets.get(self.path)
                    payload = Webhook(secret).verify(body, headers) if secret else json.loads(body)
                except WebhookVerificationError as exc:
                    receiver.rejected.append(str(exc))
                    return self._answer(401, b"bad signature")
                receiver.delivered.append(payload)
                receiver.delivered_to.append((self.path, payload))
            return self._answer(answer, receiver.body)

    return Handler


class Server(ThreadingHTTPServer):
    request_queue_size = 128  # a worker posts to many endpoints at once

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client closing a kept connection is no error
            super().handle_error(request, client_address)


@pytest.fixture
def receiver():
    """A webhook receiver on 127.0.0.1 in a thread; ``receiver.url`` is its endpoint."""
    state = Receiver()
    server = Server(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.port = server.server_address[1]
    state.url = f"http://127.0.0.1:{state.port}/hooks/offpeak"
    yield state
    state.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_subscription(db, regions):
    """An active (confirmed) webhook subscription; the receiver, if given, learns its secret."""

    def make(url, region="eu-frankfurt", topics=("maintenance", "incidents"), receiver=None, **fields):
        subscription, secret = subscriptions.subscribe(
            url, [regions[region]], list(topics), "owner@example.com", now=fields.pop("now", None)
        )
        subscriptions.confirm(subscription, now=fields.pop("confirmed_at", None))
        subscription.refresh_from_db()
        if receiver is not None:
            receiver.secrets[urlsplit(url).path] = secret
        subscription.secret = secret
        return subscription

    return make


@pytest.fixture
def make_channel(db, regions):
    def make(url, region="eu-frankfurt", name="ops", **fields):
        channel = Channel(name=name, created_at=fields.pop("created_at", timezone.now()), **fields)
        subscriptions.set_channel_url(channel, url)
        channel.save()
        channel.regions.set([regions[region]])
        return channel

    return make


def decrypt_secret(subscription):
    return vault.decrypt(WebhookSubscription.objects.get(pk=subscription.pk).secret_encrypted)
