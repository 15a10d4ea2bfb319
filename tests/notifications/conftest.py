import email
import socket
from email import policy

import pytest
from aiosmtpd.controller import Controller
from django.utils import timezone

from notifications.models import Subscriber
from statuspage.celery import app as celery_app


@pytest.fixture
def eager():
    """Celery tasks run in-process when queued, so one test can follow a mail from request to outbox."""
    previous = celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates
    celery_app.conf.task_always_eager = True
    celery_app.conf.task_eager_propagates = True
    yield
    celery_app.conf.task_always_eager, celery_app.conf.task_eager_propagates = previous


@pytest.fixture
def make_subscriber(db, regions):
    def make(email="ada@example.com", region="eu-frankfurt", state=Subscriber.State.CONFIRMED, **fields):
        subscriber = Subscriber.objects.create(
            email=email,
            state=state,
            created_at=fields.pop("created_at", timezone.now()),
            confirmed_at=timezone.now() if state == Subscriber.State.CONFIRMED else None,
            **fields,
        )
        subscriber.regions.set([regions[region]] if isinstance(region, str) else [regions[r] for r in region])
        return subscriber

    return make


class Inbox:
    """What the SMTP server received: (recipients, parsed message) per mail, and the raw bytes of each in ``raw``."""

    def __init__(self):
        self.messages = []
        self.raw = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, email.message_from_bytes(envelope.content, policy=policy.default)))
        self.raw.append(envelope.content)
        return "250 OK"


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server (aiosmtpd) on localhost, and Django's SMTP backend pointed at it."""
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", controller.port
    yield inbox
    controller.stop()
