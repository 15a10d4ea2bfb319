"""Canonical addresses: one subscriber and one rate-limit budget per mailbox, whatever the letter case; only
addresses at a public domain; and the migration that merges the duplicates an older version let in."""

import json

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from notifications.addresses import address_hash, canonical, is_public_domain, normalise_email
from notifications.models import Delivery, ProcessedEvent, Subscriber, Suppression

VARIANTS = ["Target@example.com", "TARGET@example.com", "tArget@EXAMPLE.com", "target@Example.COM"]


@pytest.fixture
def captured(django_capture_on_commit_callbacks, eager):
    return django_capture_on_commit_callbacks


def subscribe(client, email):
    return client.post(
        "/api/v1/subscriptions/",
        json.dumps({"email": email, "regions": ["eu-frankfurt"], "language": "en"}),
        content_type="application/json",
    )


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Target@Example.COM", "target@example.com"),
        ("tArget@BÜCHER.example", "target@xn--bcher-kva.example"),
        ("a.b+tag@xn--bcher-kva.example", "a.b+tag@xn--bcher-kva.example"),
    ],
)
def test_canonical_lowercases_the_local_part_and_idna_encodes_the_domain(raw, expected):
    assert canonical(raw) == expected
    assert address_hash(raw) == address_hash(expected)


@pytest.mark.parametrize(
    "address",
    [
        "a@localhost",
        "a@LOCALHOST",
        "a@localhost.",
        "a@[127.0.0.1]",
        "a@[IPv6:::1]",
        "a@127.0.0.1",
        "a@intranet",
        "a@printer.local",
        "a@box.localhost",
        "a@db.internal",
        "a@router.home.arpa",
        "a@site.test",
        "a@nowhere.invalid",
    ],
)
def test_addresses_without_a_public_domain_are_refused(address):
    with pytest.raises(ValidationError) as refused:
        normalise_email(address)
    assert refused.value.code == "not_public"


@pytest.mark.parametrize("domain", ["example.com", "mail.example.co.uk", "bücher.example", "xn--bcher-kva.example"])
def test_public_domains_are_accepted(domain):
    assert is_public_domain(domain)
    assert normalise_email(f"ada@{domain}").startswith("ada@")


def test_letter_case_variants_are_one_subscriber_and_one_mail(client, regions, captured):
    with captured(execute=True):
        codes = [subscribe(client, email).status_code for email in VARIANTS]
    assert codes == [202, 202, 202, 202]
    [subscriber] = Subscriber.objects.all()
    assert (subscriber.email, subscriber.canonical_email) == ("Target@example.com", "target@example.com")
    # One subscriber: each request asks it to confirm again, within the one per-address budget.
    assert [message.to for message in mail.outbox] == [["Target@example.com"]] * 4
    assert Delivery.objects.filter(subscriber=subscriber).count() == 4


def test_the_per_address_rate_limit_counts_every_spelling_of_the_address(client, regions, settings, captured):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = "2/h"
    with captured(execute=True):
        codes = [subscribe(client, email).status_code for email in VARIANTS]
    assert codes == [202, 202, 429, 429]
    assert len(mail.outbox) == 2


def test_the_form_also_limits_on_the_canonical_address(client, regions, settings):
    settings.SUBSCRIBE_RATE_PER_ADDRESS = "1/h"
    data = {"regions": ["eu-frankfurt"], "language": "en"}
    first = client.post("/subscribe/", {**data, "email": "Target@example.com"})
    second = client.post("/subscribe/", {**data, "email": "TARGET@EXAMPLE.COM"})
    assert (first.status_code, second.status_code) == (200, 429)


def test_the_database_refuses_a_second_subscriber_with_the_same_canonical_address(db):
    Subscriber.objects.create(email="ada@example.com", created_at=timezone.now())
    with pytest.raises(IntegrityError):
        Subscriber.objects.create(email="ADA@example.com", created_at=timezone.now())


def test_the_admin_form_refuses_a_second_spelling_of_an_address(admin_client, regions):
    Subscriber.objects.create(email="ada@example.com", created_at=timezone.now())
    bob = Subscriber.objects.create(email="bob@example.com", created_at=timezone.now())
    bob.regions.set([regions["eu-frankfurt"]])
    response = admin_client.post(
        f"/admin/notifications/subscriber/{bob.pk}/change/",
        {"email": "Ada@Example.com", "regions": [regions["eu-frankfurt"].pk], "language": "en"},
    )
    assert response.status_code == 200
    assert "exists" in str(response.context["adminform"].form.errors["email"])
    assert Subscriber.objects.get(pk=bob.pk).email == "bob@example.com"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_merges_case_duplicates_keeping_every_region_and_the_strictest_state():
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0001_initial")])
    old = executor.loader.project_state([("notifications", "0001_initial")]).apps
    OldSubscriber = old.get_model("notifications", "Subscriber")
    OldEvent = old.get_model("notifications", "ProcessedEvent")
    Region = old.get_model("maintenance", "Region")
    frankfurt, virginia = Region.objects.get(slug="eu-frankfurt"), Region.objects.get(slug="us")
    now = timezone.now()

    def make(email, state, regions, minutes):
        subscriber = OldSubscriber.objects.create(
            email=email, state=state, created_at=now - timezone.timedelta(minutes=minutes), state_reason=state
        )
        subscriber.regions.set(regions)
        return subscriber

    make("Ada@example.com", "pending", [frankfurt], 30)
    confirmed = make("ada@example.com", "confirmed", [virginia], 20)
    make("ADA@example.com", "unsubscribed", [], 10)
    make("bob@example.com", "suppressed", [frankfurt], 5)
    make("BOB@example.com", "confirmed", [virginia], 1)
    make("carol@example.com", "confirmed", [frankfurt], 1)
    OldEvent.objects.create(event_id="e1", event_type="complained", esp_name="postmark", recipient="Bob@Example.com")

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    subscribers = {s.canonical_email: s for s in Subscriber.objects.prefetch_related("regions")}
    assert sorted(subscribers) == ["ada@example.com", "bob@example.com", "carol@example.com"]
    ada, bob = subscribers["ada@example.com"], subscribers["bob@example.com"]
    assert (ada.pk, ada.email, ada.state) == (confirmed.pk, "ada@example.com", "confirmed")
    assert {r.slug for r in ada.regions.all()} == {"eu-frankfurt", "us"}
    assert (bob.email, bob.state) == ("bob@example.com", "suppressed")
    assert {r.slug for r in bob.regions.all()} == {"eu-frankfurt", "us"}
    event = ProcessedEvent.objects.get()
    assert event.recipient_hash == address_hash("bob@example.com")
    assert not hasattr(event, "recipient")
    [suppression] = Suppression.objects.all()
    assert (suppression.address_hash, suppression.event) == (address_hash("bob@example.com"), event)


def test_the_admin_stores_an_address_as_the_form_does_and_refuses_a_local_one(admin_client, regions):
    bob = Subscriber.objects.create(email="bob@example.com", created_at=timezone.now())
    url = f"/admin/notifications/subscriber/{bob.pk}/change/"
    data = {"regions": [regions["eu-frankfurt"].pk], "language": "en"}
    refused = admin_client.post(url, {**data, "email": "bob@localhost"})
    assert refused.status_code == 200 and refused.context["adminform"].form.errors["email"] == [
        "Use an address at a public internet domain."
    ]
    assert admin_client.post(url, {**data, "email": "Bob@BÜCHER.example"}).status_code == 302
    bob.refresh_from_db()
    assert (bob.email, bob.canonical_email) == ("Bob@xn--bcher-kva.example", "bob@xn--bcher-kva.example")
