import base64

import pytest
from anymail.signals import AnymailTrackingEvent, tracking
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from notifications import subscriptions
from notifications.addresses import address_hash
from notifications.checks import tracking_webhook_is_closed
from notifications.models import Delivery, ProcessedEvent, Subscriber, Suppression


def fire(event_type, recipient="Ada@EXAMPLE.com", event_id="evt-1", reject_reason=None):
    event = AnymailTrackingEvent(
        event_type=event_type, recipient=recipient, event_id=event_id, reject_reason=reject_reason
    )
    tracking.send(sender=object, event=event, esp_name="Postmark")


def test_a_hard_bounce_suppresses_the_address_and_the_same_event_twice_changes_nothing_more(make_subscriber, window):
    ada = make_subscriber("ada@example.com")
    row = Delivery.objects.create(
        window=window, subscriber=ada, kind="announcement", sequence=1, created_at=ada.created_at
    )
    fire("bounced", reject_reason="bounced")
    ada.refresh_from_db()
    assert (ada.state, ada.state_reason) == ("suppressed", "Postmark: bounced (bounced)")
    row.refresh_from_db()
    assert row.status == "suppressed"
    # An admin lifts the suppression; the ESP then retries the same webhook: it is not acted on again.
    Subscriber.objects.filter(pk=ada.pk).update(state="confirmed", state_reason="")
    fire("bounced", reject_reason="bounced")
    ada.refresh_from_db()
    assert ada.state == "confirmed"
    assert ProcessedEvent.objects.count() == 1


def test_complaints_and_esp_unsubscribes_suppress(make_subscriber):
    make_subscriber("ada@example.com")
    make_subscriber("bob@example.com")
    fire("complained", recipient="ada@example.com", event_id="c1")
    fire("unsubscribed", recipient="bob@example.com", event_id="u1")
    assert set(Subscriber.objects.values_list("state", flat=True)) == {"suppressed"}


def test_a_soft_bounce_or_a_delivery_changes_nothing(make_subscriber):
    ada = make_subscriber()
    fire("bounced", reject_reason="timed_out", event_id="s1")
    fire("delivered", event_id="d1")
    ada.refresh_from_db()
    assert ada.state == "confirmed" and ProcessedEvent.objects.count() == 0


POSTMARK_BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "TypeCode": 1,
    "ID": 4242,
    "MessageID": "abc",
    "Email": "ada@example.com",
    "BouncedAt": "2026-11-10T12:00:00Z",
    "Description": "The server was unable to deliver your message",
    "Details": "smtp;550 5.1.1 no such user",
}
COMPLAINT = {"RecordType": "SpamComplaint", "Email": "ada@example.com", "ID": 77, "BouncedAt": "2026-11-10T12:00:00Z"}
SECRET = "hook:s3cret"


def basic(credentials):
    return "Basic " + base64.b64encode(credentials.encode()).decode()


def post(client, esp, payload, auth=None):
    headers = {"HTTP_AUTHORIZATION": basic(auth)} if auth else {}
    return client.post(f"/anymail/{esp}/tracking/", payload, content_type="application/json", **headers)


@pytest.fixture
def postmark(settings):
    settings.ANYMAIL_ESP = "postmark"
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}


@pytest.mark.parametrize("esp", ["postmark", "sendgrid", "mailgun"])
def test_without_a_secret_no_webhook_answers_and_an_anonymous_complaint_suppresses_nobody(
    client, settings, make_subscriber, esp
):
    settings.ANYMAIL_ESP = "postmark"
    settings.ANYMAIL = {key: value for key, value in settings.ANYMAIL.items() if key != "WEBHOOK_SECRET"}
    ada = make_subscriber()
    response = post(client, esp, COMPLAINT)
    assert response.status_code == 404
    ada.refresh_from_db()
    assert ada.state == "confirmed" and not Suppression.objects.exists() and not ProcessedEvent.objects.exists()


@pytest.mark.parametrize("esp", ["sendgrid", "mailgun", "mandrill"])
def test_only_the_configured_esps_webhook_is_mounted(client, postmark, make_subscriber, esp):
    ada = make_subscriber()
    assert post(client, esp, [{"event": "spamreport", "email": "ada@example.com"}], auth=SECRET).status_code == 404
    ada.refresh_from_db()
    assert ada.state == "confirmed"


@pytest.mark.parametrize("auth", [None, "hook:wrong", "hook:s3cret2", "other:s3cret", ":"])
def test_a_call_without_valid_credentials_gets_401_and_changes_nothing(client, postmark, make_subscriber, auth):
    ada = make_subscriber()
    response = post(client, "postmark", COMPLAINT, auth=auth)
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Basic realm="Offpeak tracking webhook"')
    ada.refresh_from_db()
    assert ada.state == "confirmed" and not Suppression.objects.exists()


def test_the_configured_webhook_with_its_secret_suppresses_and_records_the_event(client, postmark, make_subscriber):
    ada = make_subscriber("Ada@Example.com")
    response = post(client, "postmark", POSTMARK_BOUNCE, auth=SECRET)
    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.state, ada.state_reason) == ("suppressed", "Postmark: bounced (bounced)")
    [suppression] = Suppression.objects.select_related("event")
    assert (suppression.event.event_type, suppression.event.event_id, suppression.event.esp_name) == (
        "bounced",
        "4242",
        "Postmark",
    )
    assert suppression.address_hash == address_hash("ada@example.com") == suppression.event.recipient_hash


def test_check_deploy_errors_when_an_esp_is_configured_without_a_webhook_secret(settings):
    settings.ANYMAIL_ESP = "postmark"
    settings.ANYMAIL = {key: value for key, value in settings.ANYMAIL.items() if key != "WEBHOOK_SECRET"}
    assert [error.id for error in tracking_webhook_is_closed(None)] == ["notifications.E001"]
    with pytest.raises(SystemCheckError, match="notifications.E001"):
        call_command("check", "--deploy", "--tag", "security")
    call_command("check")  # a deploy check only: development runs are not stopped by it
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "no-colon"}
    assert [error.id for error in tracking_webhook_is_closed(None)] == ["notifications.E002"]
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": SECRET}
    assert tracking_webhook_is_closed(None) == []
    settings.ANYMAIL_ESP = ""
    settings.ANYMAIL = {}
    assert tracking_webhook_is_closed(None) == []


def test_a_superuser_sees_the_suppression_with_its_event_and_lifts_it(
    client, postmark, make_subscriber, django_user_model
):
    ada = make_subscriber()
    assert post(client, "postmark", POSTMARK_BOUNCE, auth=SECRET).status_code == 200
    suppression = Suppression.objects.get()
    root = django_user_model.objects.create_superuser("root", "root@example.com", "x")
    client.force_login(root)
    listing = client.get("/admin/notifications/suppression/")
    assert listing.status_code == 200
    assert b"Postmark: bounced (bounced)" in listing.content and b"4242" in listing.content
    detail = client.get(f"/admin/notifications/subscriber/{ada.pk}/change/").content.decode()
    assert "Postmark event bounced" in detail and "The server was unable to deliver your message" in detail

    response = client.post(
        "/admin/notifications/suppression/", {"action": "lift", "_selected_action": [suppression.pk]}, follow=True
    )
    assert b"1 suppression lifted." in response.content
    ada.refresh_from_db()
    assert (ada.state, ada.state_reason) == ("confirmed", "suppression lifted by root")
    assert not Suppression.objects.exists()


def test_a_staff_member_who_is_not_a_superuser_cannot_lift_a_suppression(client, make_subscriber, django_user_model):
    from django.contrib.auth.models import Permission

    ada = make_subscriber()
    subscriptions.suppress(ada, "postmark: complained")
    staff = django_user_model.objects.create_user("staff", password="x", is_staff=True)
    staff.user_permissions.set(Permission.objects.filter(content_type__app_label="notifications"))
    client.force_login(staff)
    suppression = Suppression.objects.get()
    listing = client.get("/admin/notifications/suppression/")
    assert listing.status_code == 200 and b'value="lift"' not in listing.content
    client.post("/admin/notifications/suppression/", {"action": "lift", "_selected_action": [suppression.pk]})
    client.post("/admin/notifications/subscriber/", {"action": "lift_suppression", "_selected_action": [ada.pk]})
    ada.refresh_from_db()
    assert ada.state == "suppressed" and Suppression.objects.count() == 1


@pytest.mark.slow  # a fresh process
def test_check_deploy_in_a_fresh_process_fails_without_the_secret_and_passes_with_it():
    import secrets

    from tests import shell

    env = {
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "status.example.com",
        "SITE_URL": "https://status.example.com",
        "ANYMAIL_ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "token",
    }
    refused = shell.run("manage.py", "check", "--deploy", **env, ANYMAIL_WEBHOOK_SECRET="")
    assert refused.returncode == 1
    assert "notifications.E001" in refused.stderr + refused.stdout
    clean = shell.run("manage.py", "check", "--deploy", "--fail-level", "WARNING", **env, ANYMAIL_WEBHOOK_SECRET=SECRET)
    assert clean.returncode == 0, clean.stdout + clean.stderr


def test_the_suppression_page_links_the_subscriber_still_on_file(admin_client, make_subscriber):
    ada = make_subscriber()
    subscriptions.suppress(ada, "suppressed by admin")
    suppression = Suppression.objects.get()
    page = admin_client.get(f"/admin/notifications/suppression/{suppression.pk}/change/").content.decode()
    assert f'<a href="/admin/notifications/subscriber/{ada.pk}/change/">ada@example.com</a>' in page
    subscriptions.forget(ada)
    page = admin_client.get(f"/admin/notifications/suppression/{suppression.pk}/change/").content.decode()
    assert "none on file (deleted)" in page and "ada@example.com" not in page


def test_check_deploy_errors_when_the_esps_own_webhook_setting_is_missing(settings):
    settings.ANYMAIL_ESP = "mailgun"
    settings.ANYMAIL = {"WEBHOOK_SECRET": SECRET}  # no signing key, and no API key to fall back on
    errors = tracking_webhook_is_closed(None)
    assert [error.id for error in errors] == ["notifications.E004"]
    assert "WEBHOOK_SIGNING_KEY" in errors[0].msg
    settings.ANYMAIL = {**settings.ANYMAIL, "MAILGUN_WEBHOOK_SIGNING_KEY": "signing"}
    assert tracking_webhook_is_closed(None) == []
