import json

import pytest
from django.core import mail

from notifications.models import Delivery, Subscriber

URL = "/api/v1/subscriptions/"
ANSWER = {"detail": "If the address can receive mail, a message is on its way to it. Follow its link to confirm."}


def post(client, body, **extra):
    return client.post(
        URL, json.dumps(body) if not isinstance(body, str) else body, content_type="application/json", **extra
    )


def body(**changes):
    return {"email": "ada@example.com", "regions": ["eu-frankfurt"], "language": "en", **changes}


@pytest.fixture
def captured(django_capture_on_commit_callbacks, eager):
    return django_capture_on_commit_callbacks


def test_new_address_gets_a_confirmation_and_the_fixed_reply(client, regions, captured):
    with captured(execute=True):
        response = post(client, body(email="Ada@BÜCHER.example", timezone="Asia/Tokyo", notify_start_end=True))
    assert (response.status_code, response.json()) == (202, ANSWER)
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.state, subscriber.timezone, subscriber.notify_start_end) == (
        "Ada@xn--bcher-kva.example",
        "pending",
        "Asia/Tokyo",
        True,
    )
    assert [m.subject for m in mail.outbox] == ["Confirm your subscription to Offpeak"]
    assert Delivery.objects.get().status == "sent"


@pytest.mark.parametrize(
    ("state", "mail_subject"),
    [
        ("pending", "Confirm your subscription to Offpeak"),
        ("unsubscribed", "Confirm your subscription to Offpeak"),
        ("confirmed", "You are already subscribed to Offpeak"),
        ("suppressed", None),
    ],
)
def test_reply_is_the_same_whatever_the_state_only_the_mail_differs(
    client, make_subscriber, captured, state, mail_subject
):
    make_subscriber("ada@example.com", state=state)
    with captured(execute=True):
        response = post(client, body(email="ada@EXAMPLE.com"))
    assert (response.status_code, response.json()) == (202, ANSWER)
    assert [m.subject for m in mail.outbox] == ([mail_subject] if mail_subject else [])
    subscriber = Subscriber.objects.get()
    assert subscriber.state == {"unsubscribed": "pending"}.get(state, state)


def test_already_subscribed_mail_links_to_manage_and_changes_nothing(client, make_subscriber, captured):
    make_subscriber("ada@example.com", region="us", language="de")
    with captured(execute=True):
        post(client, body(regions=["japan"], language="en"))
    [message] = mail.outbox
    assert "/subscription/manage/" in message.body
    subscriber = Subscriber.objects.get()
    assert [r.slug for r in subscriber.regions.all()] == ["us"] and subscriber.language == "de"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        (body(email="not-an-address"), "email"),
        (body(email="ada@example.com\r\nBcc: eve@example.com"), "email"),
        (body(email="ada@example.com\n"), "email"),
        (body(regions=["atlantis"]), "regions"),
        (body(regions=[]), "regions"),
        (body(regions="eu-frankfurt"), "regions"),
        (body(regions=["eu-frank\nfurt"]), "regions"),
        (body(language="fr"), "language"),
        (body(timezone="Mars/Olympus"), "timezone"),
        (body(timezone="Europe/Berlin\r\n"), "timezone"),
        (body(notify_start_end="yes"), "notify_start_end"),
        (body(email="a" * 250 + "@example.com"), "email"),
    ],
)
def test_invalid_input_gets_a_400_naming_the_field(client, regions, data, field):
    response = post(client, data)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(f"Invalid input: {field}.")
    assert field in response.json()["errors"]
    assert Subscriber.objects.count() == 0 and Delivery.objects.count() == 0


def test_oversized_body_gets_a_400(client, regions):
    response = post(client, body(timezone="x" * 5000))
    assert response.status_code == 400
    assert response.json()["detail"] == "Invalid input: body. The request body is larger than 4096 bytes."


def test_malformed_json_gets_a_400(client, regions):
    response = post(client, "{not json")
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_rate_limit_per_address_answers_429(client, regions, captured, settings):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = "2/h"
    with captured(execute=True):
        codes = [post(client, body(), REMOTE_ADDR=f"10.0.0.{n}").status_code for n in range(3)]
    assert codes == [202, 202, 429]
    assert len(mail.outbox) == 2


def test_rate_limit_per_ip_answers_429(client, regions, settings):
    settings.SUBSCRIBE_RATE_PER_IP = "3/h"
    codes = [post(client, body(email=f"u{n}@example.com")).status_code for n in range(4)]
    assert codes == [202, 202, 202, 429]
    assert Subscriber.objects.count() == 3


def test_form_subscribes_and_answers_the_same_for_a_known_address(client, make_subscriber, captured):
    make_subscriber("known@example.com")
    page = client.get("/subscribe/")
    assert page.status_code == 200 and b'name="website"' in page.content
    answers = []
    with captured(execute=True):
        for address in ("new@example.com", "known@example.com"):
            response = client.post("/subscribe/", {"email": address, "regions": ["us", "japan"], "language": "de"})
            answers.append((response.status_code, response.content.split(b"<main")[1]))
    assert answers[0] == answers[1] and answers[0][0] == 200
    assert sorted(m.subject for m in mail.outbox) == [
        "Bestätigen Sie Ihr Abonnement bei Offpeak",
        "You are already subscribed to Offpeak",
    ]


def test_form_honeypot_gets_the_usual_reply_and_no_mail(client, regions, captured):
    with captured(execute=True):
        response = client.post(
            "/subscribe/", {"email": "bot@example.com", "regions": ["us"], "language": "en", "website": "http://x"}
        )
    assert response.status_code == 200 and response.context["done"]
    assert Subscriber.objects.count() == 0 and mail.outbox == []


def test_form_shows_errors_with_a_400(client, regions):
    response = client.post("/subscribe/", {"email": "nope", "regions": ["atlantis"], "language": "en"})
    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"email", "regions"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "raw, detail",
    [
        ('{"email": "a@example.com", "regions": ["eu-frankfurt"], "notify_start_end": 1e309}', "too large"),
        ('{"email": "a\\ud800@example.com", "regions": ["eu-frankfurt"]}', "surrogate"),
    ],
)
def test_subscription_api_reads_json_with_the_projects_strict_parser(client, raw, detail):
    response = client.post("/api/v1/subscriptions/", raw, content_type="application/json")
    assert response.status_code == 400
    assert detail in response.json()["detail"]
    assert not Subscriber.objects.exists()
