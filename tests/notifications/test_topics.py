"""Topics: what a subscriber hears about in their regions (planned maintenance, incidents), on every way in."""

import json

import pytest

from notifications import tokens
from notifications.models import Subscriber

API = "/api/v1/subscriptions/"


def api_post(client, **changes):
    body = {"email": "ada@example.com", "regions": ["eu-frankfurt"], "language": "en", **changes}
    return client.post(API, json.dumps(body), content_type="application/json")


def manage_url(subscriber):
    return f"/subscription/manage/{tokens.make(tokens.MANAGE, subscriber.key)}/"


def test_the_subscribe_page_offers_both_topics_ticked(client, regions):
    page = client.get("/subscribe/").content.decode()
    assert 'name="topics" value="maintenance"' in page and 'name="topics" value="incidents"' in page
    assert page.count("checked") >= 2
    assert '<input type="hidden" name="topics" value="">' in page


@pytest.mark.parametrize(
    ("topics", "expected"),
    [
        (["", "maintenance", "incidents"], (True, True)),
        (["", "incidents"], (False, True)),
        (["", "maintenance"], (True, False)),
        (None, (True, True)),  # a client that does not send the field: both, the default for new subscribers
    ],
)
def test_the_subscribe_form_stores_the_topics_chosen(client, regions, topics, expected):
    data = {"email": "ada@example.com", "regions": ["eu-frankfurt"], "language": "en"}
    if topics is not None:
        data["topics"] = topics
    assert client.post("/subscribe/", data).status_code == 200
    ada = Subscriber.objects.get()
    assert (ada.topic_maintenance, ada.topic_incidents) == expected


def test_the_subscribe_form_with_no_topic_ticked_says_so_and_stores_nothing(client, regions):
    data = {"email": "ada@example.com", "regions": ["eu-frankfurt"], "language": "en", "topics": [""]}
    response = client.post("/subscribe/", data)
    assert response.status_code == 400
    assert response.context["form"].errors["topics"] == ["Choose at least one topic."]
    assert Subscriber.objects.count() == 0


def test_the_api_takes_topics_and_defaults_to_both(client, regions):
    assert api_post(client, topics=["incidents"]).status_code == 202
    assert Subscriber.objects.values_list("topic_maintenance", "topic_incidents").get() == (False, True)
    assert api_post(client, email="bob@example.com").status_code == 202
    bob = Subscriber.objects.get(email="bob@example.com")
    assert (bob.topic_maintenance, bob.topic_incidents) == (True, True)


@pytest.mark.parametrize(
    ("topics", "message"),
    [
        ([], "Choose at least one topic."),
        (["outages"], "outages is not a topic; choose maintenance, incidents or both."),
        ("incidents", "Give the topics as a list: maintenance, incidents or both."),
        ([1], "Give the topics as a list: maintenance, incidents or both."),
    ],
)
def test_the_api_names_the_topics_field_on_bad_input(client, regions, topics, message):
    response = api_post(client, topics=topics)
    assert response.status_code == 400
    assert response.json()["errors"] == {"topics": [message]}
    assert response.json()["detail"].startswith("Invalid input: topics.")
    assert Subscriber.objects.count() == 0


def test_the_manage_page_shows_and_changes_the_topics(client, make_subscriber):
    ada = make_subscriber(topic_incidents=False)  # subscribed before incident notices existed
    page = client.get(manage_url(ada)).content.decode()
    assert 'value="maintenance" id="id_topics_0" checked' in page
    assert 'value="incidents" id="id_topics_1">' in page  # offered, not ticked
    data = {"regions": ["eu-frankfurt"], "language": "en", "timezone": "", "topics": ["", "maintenance", "incidents"]}
    assert client.post(manage_url(ada), data).status_code == 302
    ada.refresh_from_db()
    assert (ada.topic_maintenance, ada.topic_incidents) == (True, True)
    data["topics"] = [""]
    response = client.post(manage_url(ada), data)
    assert response.status_code == 400 and response.context["form"].errors["topics"] == ["Choose at least one topic."]
    data["topics"] = ["", "incidents"]
    assert client.post(manage_url(ada), data).status_code == 302
    ada.refresh_from_db()
    assert (ada.topic_maintenance, ada.topic_incidents) == (False, True)


def test_a_manage_post_without_the_topics_field_keeps_them(client, make_subscriber):
    ada = make_subscriber(topic_incidents=False)
    data = {"regions": ["eu-frankfurt"], "language": "de", "timezone": ""}
    assert client.post(manage_url(ada), data).status_code == 302
    ada.refresh_from_db()
    assert (ada.language, ada.topic_maintenance, ada.topic_incidents) == ("de", True, False)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migration_keeps_existing_subscribers_on_maintenance_only_and_old_updates_unsent():
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor
    from django.utils import timezone

    before = [("notifications", "0005_delivery_kind_extended"), ("maintenance", "0009_window_summary_translations")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    old = executor.loader.project_state(before).apps
    now = timezone.now()
    old.get_model("notifications", "Subscriber").objects.create(
        email="old@example.com", state="confirmed", created_at=now
    )
    incident = old.get_model("maintenance", "Incident").objects.create(title="Old", started_at=now)
    old.get_model("maintenance", "IncidentUpdate").objects.create(
        incident=incident, status="investigating", body="Old news.", created_at=now
    )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())

    from maintenance.models import IncidentUpdate

    existing = Subscriber.objects.get(email="old@example.com")
    assert (existing.topic_maintenance, existing.topic_incidents) == (True, False)
    assert IncidentUpdate.objects.get().deliver_notifications is False
    new = Subscriber.objects.create(email="new@example.com", created_at=now)
    assert (new.topic_maintenance, new.topic_incidents) == (True, True)
    assert IncidentUpdate._meta.get_field("deliver_notifications").default is True
