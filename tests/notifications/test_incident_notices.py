"""Incident notices: the rows the scheduler creates, the coalescing of bursts, and the mails the outbox sends."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from maintenance import incidents
from maintenance.models import Incident, IncidentUpdate
from notifications import incident_emails, outbox, schedule, subscriptions
from notifications.models import Delivery, Subscriber
from tests.conftest import NOW

Kind, Status = Delivery.Kind, Delivery.Status
EARLIER = NOW - timedelta(days=1)


def rows(**filters):
    """(kind, email, status, reason) of every incident notice, in the order the updates were posted."""
    return list(
        Delivery.objects.filter(incident_update__isnull=False, **filters)
        .order_by("incident_update__created_at", "incident_update_id", "subscriber__email")
        .values_list("kind", "subscriber__email", "status", "last_error")
    )


def send_all(now):
    ids = list(Delivery.objects.filter(status=Status.PENDING).values_list("id", flat=True))
    return outbox.send_chunk(ids, now=now)


def sent_to(email):
    return [m for m in mail.outbox if m.to == [email]]


@pytest.fixture
def people(make_subscriber, clock):
    clock.move_to(EARLIER)
    made = {
        "ada": make_subscriber("ada@example.com", region="eu-frankfurt"),
        "bob": make_subscriber("bob@example.com", region=["us", "eu-ireland"], language="de", timezone="Europe/Berlin"),
        "eve": make_subscriber("eve@example.com", region="japan"),  # another region
        "max": make_subscriber("max@example.com", region="eu-frankfurt", topic_incidents=False),  # not opted in
        "pat": make_subscriber("pat@example.com", region="eu-frankfurt", state=Subscriber.State.PENDING),
    }
    clock.move_to(NOW)
    return made


def open_outage(regions, now=NOW, **kwargs):
    return incidents.open_incident(
        "Logins failing",
        [regions["eu-frankfurt"], regions["eu-ireland"]],
        Incident.Impact.MAJOR,
        "We are looking into failed logins.",
        now=now,
        **kwargs,
    )


def test_open_update_update_resolve_each_reach_the_followers_of_an_affected_region_once(people, regions, clock):
    incident = open_outage(regions)
    schedule.create_due(NOW)
    assert rows() == [
        ("incident_opened", "ada@example.com", "pending", ""),
        ("incident_opened", "bob@example.com", "pending", ""),
    ]
    assert send_all(NOW).summary()["sent"] == 2
    steps = [
        (NOW + timedelta(minutes=10), Incident.Status.IDENTIFIED, "A bad certificate."),
        (NOW + timedelta(minutes=20), Incident.Status.MONITORING, "A new certificate is in place."),
        (NOW + timedelta(minutes=30), Incident.Status.RESOLVED, "Logins work again."),
    ]
    for at, status, body in steps:
        clock.move_to(at)
        incidents.post_update(incident, status, body, now=at)
        schedule.create_due(at)
        assert send_all(at).summary()["sent"] == 2
    assert rows() == [
        (kind, email, "sent", "")
        for kind in ["incident_opened", "incident_update", "incident_update", "incident_resolved"]
        for email in ["ada@example.com", "bob@example.com"]
    ]
    ada = sent_to("ada@example.com")
    assert [m.subject for m in ada] == [
        "Incident: Logins failing (EU (Ireland), EU (Frankfurt))",
        "Incident update (Identified): Logins failing",
        "Incident update (Monitoring): Logins failing",
        "Resolved: Logins failing",
    ]
    assert len(mail.outbox) == 8  # nobody else: not eve (Japan), max (no incidents), pat (pending)


def test_a_notice_is_threaded_per_incident_with_one_click_unsubscribe(people, regions, clock):
    incident = open_outage(regions)
    schedule.create_due(NOW)
    send_all(NOW)
    later = NOW + timedelta(minutes=5)
    clock.move_to(later)
    incidents.post_update(incident, Incident.Status.IDENTIFIED, "Found it.", now=later)
    schedule.create_due(later)
    send_all(later)
    first, second = (m.message() for m in sent_to("ada@example.com"))
    assert re.fullmatch(r"<[0-9a-f]{32}@127\.0\.0\.1>", first["Message-ID"])
    assert first["In-Reply-To"] is None and first["References"] is None
    assert second["In-Reply-To"] == second["References"] == first["Message-ID"] != second["Message-ID"]
    bob_first = sent_to("bob@example.com")[0].message()
    assert bob_first["Message-ID"] != first["Message-ID"]  # per person
    for message in (first, second):
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert re.fullmatch(r"<http://127\.0\.0\.1:8000/subscription/unsubscribe/[^>]+/>", message["List-Unsubscribe"])
    # A re-send of the same row carries the same Message-ID.
    row = Delivery.objects.get(subscriber=people["ada"], kind=Kind.INCIDENT_OPENED)
    assert incident_emails.build_message(row).extra_headers["Message-ID"] == first["Message-ID"]


def test_a_notice_is_in_the_subscribers_language_and_zone_and_lists_earlier_updates(people, regions, clock):
    incident = open_outage(regions)
    later = NOW + timedelta(minutes=7)
    incidents.post_update(incident, Incident.Status.IDENTIFIED, "Ein Zertifikat.", now=later)
    schedule.create_due(later)
    send_all(later)
    [bob] = sent_to("bob@example.com")
    text = bob.body
    html = bob.alternatives[0][0]
    assert "13:07 CET" in text and "12:07 UTC" in text  # Europe/Berlin is his own zone, and UTC
    assert "Ein Zertifikat." in text
    assert "We are looking into failed logins." in text  # the earlier update, coalesced into this notice
    assert "Abmelden" in text  # German footer
    assert "We are looking into failed logins." in html and "http://127.0.0.1:8000/subscription/manage/" in html
    [ada] = sent_to("ada@example.com")
    assert "12:07 UTC" in ada.body and "CET" not in ada.body  # no zone of her own: UTC


def test_a_burst_of_updates_becomes_one_notice_with_the_latest_status(people, regions, clock):
    """Five updates in a minute while nothing is sent yet: the scheduler skips the older ones, one mail each."""
    incident = open_outage(regions)
    schedule.create_due(NOW)
    for second in (10, 20, 30, 40):
        at = NOW + timedelta(seconds=second)
        incidents.post_update(incident, Incident.Status.IDENTIFIED, f"Update at {second}s.", now=at)
        schedule.create_due(at)
    at = NOW + timedelta(minutes=1)
    clock.move_to(at)
    result = send_all(at)
    assert result.summary()["sent"] == 2
    superseded = [("incident_opened", "ada@example.com"), ("incident_opened", "bob@example.com")] + [
        ("incident_update", email) for email in ["ada@example.com", "bob@example.com"] for _ in range(3)
    ]
    assert sorted(r[:2] for r in rows(status=Status.SKIPPED)) == sorted(superseded)
    assert {r[3] for r in rows(status=Status.SKIPPED)} == {"superseded by a newer update"}
    assert [r[:3] for r in rows(status=Status.SENT)] == [
        ("incident_update", "ada@example.com", "sent"),
        ("incident_update", "bob@example.com", "sent"),
    ]
    [ada] = sent_to("ada@example.com")
    assert ada.subject == "Incident update (Identified): Logins failing"
    for second in (10, 20, 30):
        assert f"Update at {second}s." in ada.body
    assert ada.body.index("Update at 40s.") < ada.body.index("Update at 30s.")  # the latest first


def test_a_burst_before_the_first_run_makes_rows_for_the_newest_update_only(people, regions, clock):
    incident = open_outage(regions)
    for second in (10, 20):
        incidents.post_update(
            incident, Incident.Status.IDENTIFIED, f"At {second}s.", now=NOW + timedelta(seconds=second)
        )
    later = NOW + timedelta(seconds=30)
    schedule.create_due(later)
    schedule.create_due(later)
    assert rows() == [
        ("incident_update", "ada@example.com", "pending", ""),
        ("incident_update", "bob@example.com", "pending", ""),
    ]
    assert Delivery.objects.get(subscriber=people["ada"]).incident_update.body == "At 20s."


def test_an_older_notice_queued_before_a_newer_update_is_skipped_when_claimed(people, regions, clock):
    incident = open_outage(regions)
    schedule.create_due(NOW)
    queued = list(Delivery.objects.values_list("id", flat=True))
    later = NOW + timedelta(seconds=30)
    IncidentUpdate.objects.create(incident=incident, status=Incident.Status.IDENTIFIED, body="Found.", created_at=later)
    # The newer update's rows exist (a scheduler run in another process), and the old chunk is claimed only now.
    schedule._incident_notices(later, dict.fromkeys(Delivery.Kind.values, 0))
    Delivery.objects.filter(id__in=queued).update(status=Status.PENDING, last_error="")  # as if not yet coalesced
    assert outbox.send_chunk(queued, now=later).summary()["skipped"] == 2
    assert {r[3] for r in rows(kind=Kind.INCIDENT_OPENED)} == {"superseded by a newer update"}
    assert mail.outbox == []


def test_an_update_posted_without_notifying_makes_no_rows_and_supersedes_nothing(people, regions, clock):
    incident = open_outage(regions)
    schedule.create_due(NOW)
    later = NOW + timedelta(minutes=1)
    incidents.post_update(
        incident, Incident.Status.MONITORING, "Quietly watching.", now=later, deliver_notifications=False
    )
    schedule.create_due(later)
    assert [r[:3] for r in rows()] == [
        ("incident_opened", "ada@example.com", "pending"),
        ("incident_opened", "bob@example.com", "pending"),
    ]
    assert send_all(later).summary()["sent"] == 2
    assert IncidentUpdate.objects.filter(deliver_notifications=False).count() == 1


def test_a_quiet_resolve_sends_nothing_and_a_quiet_open_leaves_the_first_notice_to_the_next_update(
    people, regions, clock
):
    incident = open_outage(regions, deliver_notifications=False)
    schedule.create_due(NOW)
    assert rows() == []
    later = NOW + timedelta(minutes=3)
    incidents.post_update(incident, Incident.Status.IDENTIFIED, "Found.", now=later)
    incidents.resolve(incident, "Fixed.", now=later + timedelta(minutes=1), deliver_notifications=False)
    schedule.create_due(later + timedelta(minutes=1))
    assert [r[:2] for r in rows()] == [("incident_update", "ada@example.com"), ("incident_update", "bob@example.com")]


def test_only_confirmed_subscribers_who_opted_in_and_follow_an_affected_region_are_told(
    people, regions, make_subscriber, clock
):
    clock.move_to(EARLIER)
    make_subscriber("sue@example.com", region="eu-frankfurt", state=Subscriber.State.UNSUBSCRIBED)
    gone = make_subscriber("zed@example.com", region="eu-frankfurt")
    subscriptions.suppress(gone, "bounced")
    clock.move_to(NOW)
    open_outage(regions)
    schedule.create_due(NOW)
    assert [r[1] for r in rows()] == ["ada@example.com", "bob@example.com"]
    # max opts in: the next run gives him the notice too (the update is recent and he was confirmed before it).
    subscriptions.update(people["max"], [regions["eu-frankfurt"]], "en", "", False, topic_incidents=True)
    schedule.create_due(NOW)
    assert [r[1] for r in rows()] == ["ada@example.com", "bob@example.com", "max@example.com"]


def test_a_subscriber_who_leaves_before_the_send_is_skipped(people, regions):
    open_outage(regions)
    schedule.create_due(NOW)
    subscriptions.update(people["ada"], [regions["japan"]], "en", "", False)  # no affected region any more
    subscriptions.update(people["bob"], [regions["us"], regions["eu-ireland"]], "de", "", False, topic_incidents=False)
    result = send_all(NOW)
    assert sorted(reason for _pk, reason in result.skipped) == [
        "the subscriber follows none of the incident's regions",
        "the subscriber no longer follows incidents",
    ]
    assert mail.outbox == []


def test_unsubscribe_and_suppression_stop_pending_notices(people, regions):
    open_outage(regions)
    schedule.create_due(NOW)
    subscriptions.unsubscribe(people["ada"])
    subscriptions.suppress(people["bob"], "complained")
    assert [r[2] for r in rows()] == ["skipped", "suppressed"]
    assert send_all(NOW).summary() == {"sent": 0, "retry": 0, "failed": 0, "skipped": 0, "suppressed": 0}


def test_schedule_due_twice_creates_and_sends_each_notice_once(people, regions, clock):
    incident = open_outage(regions)
    first = schedule.create_due(NOW)
    second = schedule.create_due(NOW)
    assert first[Kind.INCIDENT_OPENED] == 2 and second[Kind.INCIDENT_OPENED] == 0
    send_all(NOW)
    send_all(NOW)
    later = NOW + timedelta(minutes=1)
    incidents.post_update(incident, Incident.Status.IDENTIFIED, "Found.", now=later)
    for _ in range(2):
        schedule.create_due(later)
        send_all(later)
    assert Delivery.objects.count() == 4 and len(mail.outbox) == 4
    assert schedule.coalesce(incident.pk) == 0


def test_an_update_older_than_the_lookback_is_not_sent_late(people, regions):
    open_outage(regions, now=NOW - schedule.INCIDENT_LOOKBACK - timedelta(minutes=1))
    assert schedule.create_due(NOW)[Kind.INCIDENT_OPENED] == 0


def test_a_subscriber_confirmed_after_an_update_does_not_get_its_notice(people, regions, make_subscriber, clock):
    open_outage(regions)
    clock.move_to(NOW + timedelta(minutes=1))
    make_subscriber("new@example.com", region="eu-frankfurt")
    schedule.create_due(NOW + timedelta(minutes=1))
    assert "new@example.com" not in [r[1] for r in rows()]


def test_maintenance_notices_go_only_to_those_who_follow_planned_maintenance(window, make_subscriber):
    from maintenance import lifecycle

    make_subscriber("ada@example.com")
    make_subscriber("ivy@example.com", topic_maintenance=False, topic_incidents=True)
    lifecycle.announce(window, now=NOW)
    schedule.create_due(NOW)
    assert list(Delivery.objects.values_list("subscriber__email", flat=True)) == ["ada@example.com"]


def test_the_constraints_allow_one_row_per_update_subscriber_and_channel(people, regions):
    from django.db import IntegrityError, transaction

    incident = open_outage(regions)
    schedule.create_due(NOW)
    update = incident.updates.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Delivery.objects.create(
            incident=incident,
            incident_update=update,
            subscriber=people["ada"],
            kind=Kind.INCIDENT_OPENED,
            sequence=0,
            created_at=NOW,
        )
    with pytest.raises(IntegrityError), transaction.atomic():  # an incident kind needs its update
        Delivery.objects.create(subscriber=people["ada"], kind=Kind.INCIDENT_UPDATE, sequence=5, created_at=NOW)
    with pytest.raises(IntegrityError), transaction.atomic():  # a window kind cannot be about an update
        Delivery.objects.create(
            incident=incident,
            incident_update=update,
            subscriber=people["eve"],
            kind=Kind.ANNOUNCEMENT,
            sequence=0,
            created_at=NOW,
        )


def test_opening_and_resolving_reach_the_inbox_over_real_smtp_through_the_signal(
    people, regions, clock, smtp_server, eager, django_capture_on_commit_callbacks
):
    """The incident service's nudge runs schedule_due (eager here), which sends through a real SMTP server."""
    with django_capture_on_commit_callbacks(execute=True):
        incident = open_outage(regions)
    later = NOW + timedelta(minutes=30)
    clock.move_to(later)
    with django_capture_on_commit_callbacks(execute=True):
        incidents.resolve(incident, "Logins work again.", now=later)
    received = [(rcpt, message) for rcpt, message in smtp_server.messages if rcpt == ["ada@example.com"]]
    assert [message["Subject"] for _rcpt, message in received] == [
        "Incident: Logins failing (EU (Ireland), EU (Frankfurt))",
        "Resolved: Logins failing",
    ]
    opened, resolved = (message for _rcpt, message in received)
    assert resolved["References"] == resolved["In-Reply-To"] == opened["Message-ID"]
    assert resolved["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "Logins work again." in resolved.get_body(("plain",)).get_content()
    assert "Logins work again." in resolved.get_body(("html",)).get_content()
    assert len(smtp_server.messages) == 4  # ada and bob, twice each
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
