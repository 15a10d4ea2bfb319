"""Subscribing an endpoint: the API, the owner's confirmation by email, unsubscribing, and bad input."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from standardwebhooks.webhooks import Webhook

from endpoints import outbox, schedule
from endpoints.models import EndpointDelivery, WebhookSubscription
from endpoints.notices import confirm_url, unsubscribe_url
from maintenance import lifecycle

pytestmark = pytest.mark.django_db
API = "/api/v1/webhooks/"


def good(**changes):
    return {
        "url": "http://127.0.0.1:9/hooks",
        "regions": ["eu-frankfurt", "japan"],
        "topics": ["incidents"],
        "email": "ops@example.com",
        **changes,
    }


def send_owner_mail():
    schedule.create_due()
    outbox.dispatch(enqueue=outbox.send_chunk)


def test_subscribing_answers_the_secret_once_and_emails_the_owner_a_link_that_confirms(client, regions):
    response = client.post(API, good(), content_type="application/json")
    assert response.status_code == 201
    body = response.json()
    assert body["state"] == "pending" and body["regions"] == ["eu-frankfurt", "japan"]
    assert body["topics"] == ["incidents"]
    assert body["secret"].startswith("whsec_")
    Webhook(body["secret"])  # a secret the library accepts
    subscription = WebhookSubscription.objects.get(pk=body["id"])
    assert body["secret"] not in subscription.secret_encrypted
    assert (subscription.maintenance, subscription.incidents) == (False, True)
    send_owner_mail()
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"]
    assert message.subject == "Confirm your webhook subscription to Offpeak"
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    link = re.search(r"http://127\.0\.0\.1:8000(/webhooks/confirm/\S+/)", message.body)[1]
    assert client.get(link).status_code == 200
    subscription.refresh_from_db()
    assert subscription.state == "pending"  # a mail scanner following the link confirms nothing
    assert client.post(link).status_code == 200
    subscription.refresh_from_db()
    assert subscription.state == "active" and subscription.confirmed_at is not None
    send_owner_mail()
    assert len(mail.outbox) == 1
    row = EndpointDelivery.objects.get(subscription=subscription, kind="confirm")
    assert row.status == "sent"


def test_the_unsubscribe_link_ends_the_subscription_and_skips_what_waits(client, regions):
    subscription_id = client.post(API, good(), content_type="application/json").json()["id"]
    subscription = WebhookSubscription.objects.get(pk=subscription_id)
    path = unsubscribe_url(subscription).removeprefix("http://127.0.0.1:8000")
    assert client.post(path).status_code == 200
    subscription.refresh_from_db()
    assert subscription.state == "unsubscribed"
    assert EndpointDelivery.objects.get(subscription=subscription).status == "skipped"
    assert client.post(path.replace("unsubscribe/", "unsubscribe/x")).status_code == 400


def test_a_confirm_link_does_not_unsubscribe(client, regions):
    subscription = WebhookSubscription.objects.get(
        pk=client.post(API, good(), content_type="application/json").json()["id"]
    )

    token = confirm_url(subscription).rstrip("/").rsplit("/", 1)[1]
    assert client.post(f"/webhooks/unsubscribe/{token}/").status_code == 400


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"url": "ftp://example.com/hook"}, "url", "https://"),
        ({"url": "http://10.1.2.3/hook"}, "url", "private or reserved address (10.1.2.3)"),
        ({"url": "http://192.168.0.10/hook"}, "url", "private or reserved address"),
        ({"url": "http://169.254.169.254/latest/meta-data"}, "url", "private or reserved address"),
        ({"url": "http://[::1]:8080/hook"}, "url", "private or reserved address"),
        ({"url": "http://0.0.0.0/hook"}, "url", "private or reserved address"),
        ({"url": "http://224.0.0.1/hook"}, "url", "private or reserved address"),
        ({"url": "http://[::ffff:10.0.0.1]/hook"}, "url", "private or reserved address"),
        ({"url": "http://127.0.0.1/" + "a" * 2000}, "url", "longer than 2000 characters"),
        ({"url": "http://user:pw@127.0.0.1/hook"}, "url", "user name or password"),
        ({"url": "http://user@127.0.0.1/hook"}, "url", "user name or password"),
        ({"url": "http://127.0.0.1/ho ok"}, "url", "spaces or control characters"),
        ({"url": "http://no-such-host.invalid/hook"}, "url", "does not resolve"),
        ({"url": 5}, "url", "string"),
        ({"email": "not-an-address"}, "email", "valid email"),
        ({"email": "ops@localhost"}, "email", "public internet domain"),
        ({"regions": ["atlantis"]}, "regions", "atlantis"),
        ({"regions": []}, "regions", "required"),
        ({"topics": ["gossip"]}, "topics", "gossip"),
        ({"topics": "incidents"}, "topics", "list"),
        ({"colour": "blue"}, "colour", "Unknown field"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_stores_nothing(client, regions, changes, field, words):
    response = client.post(API, good(**changes), content_type="application/json")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == [field]
    assert body["detail"].startswith(f"Invalid input: {field}.")
    assert words in " ".join(body["errors"][field])
    assert WebhookSubscription.objects.count() == 0
    assert EndpointDelivery.objects.count() == 0


def test_plain_http_is_refused_unless_the_operator_allows_it(client, regions, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    response = client.post(API, good(), content_type="application/json")
    assert response.status_code == 400
    assert response.json()["errors"] == {"url": ["The URL must start with https://."]}
    assert WebhookSubscription.objects.count() == 0


def test_a_loopback_endpoint_is_refused_without_the_allowed_networks_setting(client, regions, settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = []
    response = client.post(API, good(), content_type="application/json")
    assert response.status_code == 400
    assert "127.0.0.1" in response.json()["errors"]["url"][0]


def test_a_body_that_is_not_an_object_is_a_400(client, regions):
    response = client.post(API, [1, 2], content_type="application/json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["body"]


def test_a_window_change_runs_the_endpoint_scheduler_without_waiting_for_the_beat(
    clock, window, make_subscription, eager, django_capture_on_commit_callbacks
):
    subscription = make_subscription("http://127.0.0.1:9/hooks")
    clock.shift(timedelta(minutes=1))
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.announce(window)
    row = EndpointDelivery.objects.get(subscription=subscription, kind="event")
    assert row.event == f"window-event-{window.audit_events.get(action='announce').pk}"
    assert row.attempts == 1  # and it was tried at once (nothing listens on port 9)


def test_the_owners_signed_links_never_reach_a_log_line():
    from notifications.logs import redact

    line = '"GET /webhooks/confirm/abc123:1xQ:sig/ HTTP/1.1" 200; POST /webhooks/unsubscribe/def456:1x:s/'
    assert redact(line) == '"GET /webhooks/confirm/[token]/ HTTP/1.1" 200; POST /webhooks/unsubscribe/[token]/'
