from anymail.signals import AnymailTrackingEvent, tracking

from notifications.models import Delivery, ProcessedEvent, Subscriber


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


def test_webhook_urls_are_mounted_and_require_the_secret(client, settings, make_subscriber):
    settings.ANYMAIL = {**settings.ANYMAIL, "WEBHOOK_SECRET": "hook:s3cret"}
    ada = make_subscriber()
    payload = {
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
    refused = client.post("/anymail/postmark/tracking/", payload, content_type="application/json")
    assert refused.status_code == 400
    ada.refresh_from_db()
    assert ada.state == "confirmed"
    import base64

    auth = "Basic " + base64.b64encode(b"hook:s3cret").decode()
    accepted = client.post(
        "/anymail/postmark/tracking/", payload, content_type="application/json", HTTP_AUTHORIZATION=auth
    )
    assert accepted.status_code == 200
    ada.refresh_from_db()
    assert ada.state == "suppressed"
