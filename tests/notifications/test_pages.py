from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import tokens
from notifications.models import Delivery, Subscriber


def link(name, purpose, subscriber):
    return f"/subscription/{name}/{tokens.make(purpose, subscriber.key)}/"


def state_of(subscriber):
    return Subscriber.objects.get(pk=subscriber.pk).state


def test_confirming_twice_is_harmless(client, make_subscriber):
    pending = make_subscriber(state="pending")
    url = link("confirm", tokens.CONFIRM, pending)
    first, second = client.post(url), client.post(url)
    assert (first.status_code, second.status_code) == (200, 200)
    assert b"will now get maintenance notices" in second.content
    subscriber = Subscriber.objects.get()
    assert subscriber.state == "confirmed" and subscriber.confirmed_at is not None


def test_a_tampered_token_gets_a_400_and_changes_nothing(client, make_subscriber):
    pending = make_subscriber(state="pending")
    token = tokens.make(tokens.CONFIRM, pending.key)
    response = client.get(f"/subscription/confirm/{token[:-2]}xx/")
    assert response.status_code == 400 and b"not valid or has expired" in response.content
    assert state_of(pending) == "pending"


def test_a_token_for_another_purpose_is_refused(client, make_subscriber):
    ada = make_subscriber()
    response = client.post(f"/subscription/unsubscribe/{tokens.make(tokens.MANAGE, ada.key)}/")
    assert response.status_code == 400 and state_of(ada) == "confirmed"


def test_a_confirmation_link_expires_after_seven_days(client, make_subscriber):
    pending = make_subscriber(state="pending")
    with time_machine.travel(timezone.now() - timedelta(days=7, minutes=1)):
        url = link("confirm", tokens.CONFIRM, pending)
    assert client.get(url).status_code == 400
    assert state_of(pending) == "pending"


def test_a_link_of_a_deleted_subscriber_gets_a_404(client, make_subscriber):
    ada = make_subscriber()
    url = link("unsubscribe", tokens.UNSUBSCRIBE, ada)
    ada.delete()
    response = client.post(url, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 404 and b"no subscription for this link" in response.content


def test_unsubscribe_get_shows_a_button_and_changes_nothing(client, make_subscriber):
    ada = make_subscriber()
    response = client.get(link("unsubscribe", tokens.UNSUBSCRIBE, ada))
    assert response.status_code == 200 and b'<button type="submit">Unsubscribe</button>' in response.content
    assert state_of(ada) == "confirmed"


@pytest.mark.parametrize("encoding", ["urlencoded", "multipart"])
def test_one_click_post_unsubscribes_at_once_without_csrf_or_redirect(make_subscriber, encoding, announced_row):
    from django.test import Client

    ada = announced_row.subscriber
    client = Client(enforce_csrf_checks=True)
    url = link("unsubscribe", tokens.UNSUBSCRIBE, ada)
    if encoding == "urlencoded":
        response = client.post(url, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
    else:
        response = client.post(url, {"List-Unsubscribe": "One-Click"})  # the test client sends multipart
    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.state, ada.state_reason) == ("unsubscribed", "one-click")
    announced_row.refresh_from_db()
    assert announced_row.status == Delivery.Status.SKIPPED


@pytest.fixture
def announced_row(window, make_subscriber):
    ada = make_subscriber()
    return Delivery.objects.create(
        window=window, subscriber=ada, kind="announcement", sequence=1, created_at=timezone.now()
    )


def test_manage_page_shows_the_data_and_changes_preferences(client, make_subscriber):
    ada = make_subscriber(region="us")
    url = link("manage", tokens.MANAGE, ada)
    page = client.get(url)
    assert page.status_code == 200 and b"ada@example.com" in page.content
    response = client.post(
        url,
        {
            "action": "save",
            "regions": ["japan", "india"],
            "language": "de",
            "timezone": "Asia/Tokyo",
            "notify_start_end": "on",
        },
    )
    assert response.status_code == 302
    ada.refresh_from_db()
    assert sorted(r.slug for r in ada.regions.all()) == ["india", "japan"]
    assert (ada.language, ada.timezone, ada.notify_start_end, ada.state) == ("de", "Asia/Tokyo", True, "confirmed")
    assert "Ihr Abonnement" in client.get(url).content.decode()


def test_manage_page_rejects_a_bad_time_zone(client, make_subscriber):
    ada = make_subscriber()
    response = client.post(
        link("manage", tokens.MANAGE, ada), {"regions": ["us"], "language": "en", "timezone": "Nowhere/Town"}
    )
    assert response.status_code == 400 and "timezone" in response.context["form"].errors
    ada.refresh_from_db()
    assert ada.timezone == ""


def test_manage_page_deletes_the_data_on_request(client, announced_row):
    url = link("manage", tokens.MANAGE, announced_row.subscriber)
    response = client.post(url, {"action": "delete"})
    assert response.status_code == 200 and b"Data deleted" in response.content
    assert Subscriber.objects.count() == 0 and Delivery.objects.count() == 0
    assert client.get(url).status_code == 404


def test_unconfirmed_subscribers_are_purged_after_thirty_days(make_subscriber):
    from notifications.tasks import purge_unconfirmed

    now = timezone.now()
    make_subscriber("old@example.com", state="pending", created_at=now - timedelta(days=31))
    make_subscriber("new@example.com", state="pending", created_at=now - timedelta(days=29))
    make_subscriber("kept@example.com", state="confirmed", created_at=now - timedelta(days=300))
    assert purge_unconfirmed() == 1
    assert sorted(Subscriber.objects.values_list("email", flat=True)) == ["kept@example.com", "new@example.com"]


def test_a_confirmation_link_opened_by_get_shows_one_button_and_confirms_only_on_post(make_subscriber):
    """A mail scanner that fetches the link confirms nothing; the owner's click on the button does."""
    from django.test import Client

    pending = make_subscriber(state="pending")
    url = link("confirm", tokens.CONFIRM, pending)
    client = Client(enforce_csrf_checks=True)
    for _fetch in range(2):
        page = client.get(url)
        assert page.status_code == 200
        assert state_of(pending) == "pending"
    html = page.content.decode().split('<main id="main">')[1].split("</main>")[0]
    assert html.count("<button") == 1 and html.count('<form method="post"') == 1
    assert '<button type="submit">Confirm</button>' in html
    assert "Send maintenance notices to ada@example.com?" in html
    assert client.head(url).status_code == 200 and state_of(pending) == "pending"
    token = page.context["csrf_token"]
    response = client.post(url, {"csrfmiddlewaretoken": str(token)})
    assert response.status_code == 200 and b"will now get maintenance notices" in response.content
    assert state_of(pending) == "confirmed"


def test_get_of_an_unsubscribe_or_manage_link_changes_nothing(client, announced_row):
    ada = announced_row.subscriber
    for url in (link("unsubscribe", tokens.UNSUBSCRIBE, ada), link("manage", tokens.MANAGE, ada)):
        assert client.get(url).status_code == 200
        assert client.get(url + "?action=delete&List-Unsubscribe=One-Click").status_code == 200
    ada.refresh_from_db()
    announced_row.refresh_from_db()
    assert (ada.state, announced_row.status) == ("confirmed", "pending")


def every_stored_text():
    """Every character-field value of every row of every installed model."""
    from django.apps import apps
    from django.db import models

    for model in apps.get_models():
        names = [f.attname for f in model._meta.concrete_fields if isinstance(f, models.CharField | models.TextField)]
        names += [f.attname for f in model._meta.concrete_fields if isinstance(f, models.JSONField)]
        for row in model.objects.values_list(*names) if names else []:
            yield from (str(value) for value in row)


def test_delete_my_data_keeps_a_complained_address_suppressed_and_keeps_no_address(
    client, announced_row, django_capture_on_commit_callbacks, eager
):
    import json

    from anymail.signals import AnymailTrackingEvent, tracking
    from django.core import mail

    from notifications.addresses import address_hash
    from notifications.models import ProcessedEvent, Suppression

    ada = announced_row.subscriber
    event = AnymailTrackingEvent(event_type="complained", recipient="ADA@example.com", event_id="c-1")
    tracking.send(sender=object, event=event, esp_name="Postmark")
    url = link("manage", tokens.MANAGE, ada)
    assert client.post(url, {"action": "delete"}).status_code == 200

    assert Subscriber.objects.count() == 0
    assert not [text for text in every_stored_text() if "ada@example.com" in text.lower()]
    assert Suppression.objects.get().address_hash == address_hash("ada@example.com")
    assert ProcessedEvent.objects.get().recipient_hash == address_hash("ada@example.com")

    # Anyone asks to subscribe the address again: the same answer as ever, no mail, and nothing stored.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/subscriptions/",
            json.dumps({"email": "Ada@Example.com", "regions": ["us"], "language": "en"}),
            content_type="application/json",
        )
    assert response.status_code == 202
    assert mail.outbox == [] and Subscriber.objects.count() == 0 and Delivery.objects.count() == 0
