"""Operator channels through apprise, against local receivers only: a generic JSON one and a Slack-shaped one
(Mattermost's incoming webhooks take Slack's payload)."""

import logging
from datetime import timedelta

import pytest

from endpoints import outbox, schedule, subscriptions, vault
from endpoints.models import Channel, EndpointDelivery
from maintenance import incidents
from maintenance.models import Incident
from tests import shell

pytestmark = pytest.mark.django_db
TOKEN = "k3qx9tg5cpb8mw7f4hz2vry6na"


def tick():
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)


def test_an_incident_is_posted_to_a_json_channel_and_a_slack_shaped_one(clock, regions, receiver, make_channel):
    json_channel = make_channel(f"json://127.0.0.1:{receiver.port}/apprise", name="json")
    slack_shaped = make_channel(f"mmost://127.0.0.1:{receiver.port}/{TOKEN}", name="chat")
    make_channel(f"json://127.0.0.1:{receiver.port}/japan", region="japan", name="japan")
    clock.shift(timedelta(minutes=1))
    incident = incidents.open_incident("Login errors", [regions["eu-frankfurt"]], Incident.Impact.MAJOR, "Looking.")
    tick()
    tick()
    posted = dict(receiver.delivered_to)
    assert sorted(posted) == ["/apprise", f"/hooks/{TOKEN}"]
    assert posted["/apprise"]["title"] == "Login errors [major]: investigating"
    assert (
        posted["/apprise"]["message"]
        == f"Looking.\nhttp://127.0.0.1:8000/history/?month=2026-11#incident-{incident.pk}"
    )
    assert "Login errors [major]: investigating" in posted[f"/hooks/{TOKEN}"]["text"]
    statuses = {row.channel_id: row.status for row in EndpointDelivery.objects.filter(kind="event")}
    assert statuses == {json_channel.pk: "sent", slack_shaped.pk: "sent"}


class Keep(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines = []

    def emit(self, record):
        self.lines.append(self.format(record))


def test_a_failing_channel_is_retried_and_its_error_never_shows_the_url(clock, regions, receiver, make_channel):
    channel = make_channel(f"mmost://127.0.0.1:{receiver.port}/{TOKEN}")
    receiver.default = 500
    clock.shift(timedelta(minutes=1))
    incidents.open_incident("Down", [regions["eu-frankfurt"]], Incident.Impact.MAJOR, "x")
    root, kept = logging.getLogger(), Keep()  # where the project's handlers sit
    level = root.level
    root.addHandler(kept)
    root.setLevel(logging.DEBUG)
    try:
        tick()
    finally:
        root.removeHandler(kept)
        root.setLevel(level)
    row = EndpointDelivery.objects.get(channel=channel, kind="event")
    assert row.status == "pending" and row.attempts == 1
    assert row.last_error.startswith("Mattermost: ")
    assert TOKEN not in row.last_error
    assert kept.lines and not [line for line in kept.lines if TOKEN in line]
    receiver.default = 200
    clock.move_to(row.next_attempt_at)
    tick()
    row.refresh_from_db()
    assert row.status == "sent"


def test_the_channel_url_is_stored_encrypted(make_channel):
    channel = make_channel(f"mmost://127.0.0.1:8065/{TOKEN}")
    stored = Channel.objects.values("url_encrypted", "url_hint", "service").get(pk=channel.pk)
    assert TOKEN not in stored["url_encrypted"]
    assert stored["url_hint"] == "mmost://…" and stored["service"] == "Mattermost"


@pytest.mark.parametrize("url", ["nonsense://x", "https://example.com/plain", "slack://", ""])
def test_an_unparsable_apprise_url_is_refused(url):
    with pytest.raises(ValueError):
        subscriptions.set_channel_url(Channel(name="x"), url)


def test_stored_secrets_survive_a_key_rotation_that_keeps_the_old_key_as_a_fallback(settings):
    sealed = vault.encrypt("mmost://127.0.0.1/secret-token")
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-of-enough-length-0123456789", [settings.SECRET_KEY]
    assert vault.decrypt(sealed) == "mmost://127.0.0.1/secret-token"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(vault.CannotDecrypt):
        vault.decrypt(sealed)


@pytest.mark.slow
def test_a_started_worker_has_loaded_apprises_services_before_its_first_channel():
    """What a worker loads when it starts (worker_init) leaves apprise nothing to import when the first chunk with a
    channel parses its URL: that import took about 0.3 s of the chunk's CPU while its endpoints waited."""
    code = """
import sys, django
django.setup()
from endpoints import channels
from endpoints.tasks import load_before_sending
print("apprise.plugins.custom_json" in sys.modules)
load_before_sending()
before = set(sys.modules)
print(type(channels.parse("json://127.0.0.1:9/chat")).__name__)
print(sorted(name for name in set(sys.modules) - before if name.startswith("apprise")))
"""
    result = shell.run("-c", code, DJANGO_SETTINGS_MODULE="statuspage.settings", SECRET_KEY="test-only-key")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:3] == ["False", "NotifyJSON", "[]"]
