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
