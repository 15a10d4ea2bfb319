import smtplib
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.db.models import Model
from django.test import override_settings

from maintenance import lifecycle
from notifications import outbox, queueing, schedule, subscriptions
from notifications.models import Delivery
from tests.conftest import NOW

Kind, Status = Delivery.Kind, Delivery.Status


def kinds(**filters):
    return sorted(
        Delivery.objects.filter(**filters).values_list("kind", "sequence", "lead_minutes", "subscriber__email")
    )


def send_all(now):
    ids = list(Delivery.objects.filter(status=Status.PENDING).values_list("id", flat=True))
    return outbox.send_chunk(ids, now=now)


@pytest.fixture
def announced(window, make_subscriber):
    make_subscriber("ada@example.com")
    make_subscriber("bob@example.com", notify_start_end=True)
    make_subscriber("eve@example.com", region="us")
    make_subscriber("pat@example.com", state="pending")
    lifecycle.announce(window, now=NOW)
    window.refresh_from_db()
    return window


def test_announcement_rows_are_created_once_for_confirmed_subscribers_of_the_region(announced):
    schedule.create_due(NOW)
    schedule.create_due(NOW)
    assert kinds() == [("announcement", 1, 0, "ada@example.com"), ("announcement", 1, 0, "bob@example.com")]


def test_a_planned_window_gets_no_rows(window, make_subscriber):
    make_subscriber()
    assert sum(schedule.create_due(NOW).values()) == 0
    assert Delivery.objects.count() == 0


def test_reschedule_after_announcement_gives_rescheduled_not_a_second_announcement(announced):
    schedule.create_due(NOW)
    send_all(NOW)
    lifecycle.reschedule(
        announced, announced.starts_at + timedelta(hours=1), announced.ends_at + timedelta(hours=1), now=NOW
    )
    schedule.create_due(NOW)
    schedule.create_due(NOW)
    assert kinds(kind=Kind.RESCHEDULED) == [
        ("rescheduled", 2, 0, "ada@example.com"),
        ("rescheduled", 2, 0, "bob@example.com"),
    ]
    assert Delivery.objects.filter(kind=Kind.ANNOUNCEMENT).count() == 2


def test_reminder_is_due_exactly_at_its_lead_and_only_once(announced):
    schedule.create_due(NOW)
    send_all(NOW)
    due = announced.starts_at - timedelta(hours=24)
    with time_machine.travel(due - timedelta(seconds=1), tick=False):
        schedule.create_due()
        assert Delivery.objects.filter(kind=Kind.REMINDER).count() == 0
    with time_machine.travel(due, tick=False):
        schedule.create_due()
        schedule.create_due()
        assert kinds(kind=Kind.REMINDER) == [
            ("reminder", 1, 1440, "ada@example.com"),
            ("reminder", 1, 1440, "bob@example.com"),
        ]
        mail.outbox.clear()
        send_all(due)
    assert [m.subject for m in mail.outbox] == [
        "Reminder: maintenance in EU (Frankfurt) in 24 hours (Saturday, November 28)"
    ] * 2


def test_no_reminder_for_a_cancelled_window(announced):
    schedule.create_due(NOW)
    send_all(NOW)
    lifecycle.cancel(announced, now=NOW + timedelta(days=1))
    with time_machine.travel(announced.starts_at - timedelta(hours=2), tick=False):
        schedule.create_due()
    assert Delivery.objects.filter(kind=Kind.REMINDER).count() == 0
    assert kinds(kind=Kind.CANCELLED) == [
        ("cancelled", 2, 0, "ada@example.com"),
        ("cancelled", 2, 0, "bob@example.com"),
    ]


def test_an_unsent_reminder_is_skipped_when_the_window_is_cancelled(announced):
    schedule.create_due(NOW)
    send_all(NOW)
    due = announced.starts_at - timedelta(hours=24)
    schedule.create_due(due)
    lifecycle.cancel(announced, now=due)
    mail.outbox.clear()
    send_all(due)
    assert set(Delivery.objects.filter(kind=Kind.REMINDER).values_list("status", flat=True)) == {Status.SKIPPED}
    assert mail.outbox == []


def test_a_subscriber_who_left_the_region_before_the_send_is_skipped(window, make_subscriber, regions):
    stays = make_subscriber("ada@example.com", region=["us", "eu-frankfurt"])
    leaves = make_subscriber("bob@example.com", region=["eu-frankfurt", "us"])
    lifecycle.announce(window, now=NOW)
    schedule.create_due(NOW)
    leaves.regions.remove(regions["eu-frankfurt"])  # still follows another region, not the window's
    result = send_all(NOW)
    assert result.summary()["sent"] == 1 and [m.to for m in mail.outbox] == [[stays.email]]
    left = Delivery.objects.get(subscriber=leaves)
    assert (left.status, left.last_error) == (Status.SKIPPED, "the subscriber no longer follows this region")


@override_settings(NOTIFY_REMINDER_LEADS=[timedelta(hours=24), timedelta(hours=1)])
def test_a_lead_that_passed_before_the_announcement_is_skipped(window, make_subscriber):
    make_subscriber()
    announce_at = window.starts_at - timedelta(hours=3)
    lifecycle.announce(window, now=announce_at)
    schedule.create_due(announce_at)
    schedule.create_due(window.starts_at - timedelta(minutes=30))
    assert kinds(kind=Kind.REMINDER) == [("reminder", 1, 60, "ada@example.com")]


def test_cancellation_goes_only_to_people_told_of_the_window(announced, make_subscriber):
    schedule.create_due(NOW)
    send_all(NOW)
    make_subscriber("late@example.com")  # confirmed after the announcement went out
    lifecycle.cancel(announced, now=NOW)
    subscriptions.unsubscribe(Delivery.objects.get(subscriber__email="bob@example.com").subscriber)
    schedule.create_due(NOW)
    assert kinds(kind=Kind.CANCELLED) == [("cancelled", 2, 0, "ada@example.com")]


def test_start_and_end_notices_go_to_those_who_opted_in(announced):
    started_at = announced.starts_at
    lifecycle.start(announced, now=started_at)
    schedule.create_due(started_at)
    lifecycle.complete(announced, now=started_at + timedelta(minutes=40))
    schedule.create_due(started_at + timedelta(minutes=41))
    schedule.create_due(started_at + timedelta(minutes=42))
    assert kinds(kind__in=[Kind.STARTED, Kind.COMPLETED]) == [
        ("completed", 0, 0, "bob@example.com"),
        ("started", 0, 0, "bob@example.com"),
    ]


def test_send_chunk_twice_sends_each_row_once(announced):
    schedule.create_due(NOW)
    ids = list(Delivery.objects.values_list("id", flat=True))
    first = outbox.send_chunk(ids, now=NOW)
    second = outbox.send_chunk(ids, now=NOW)
    assert len(first.sent) == 2 and second.summary() == {
        "sent": 0,
        "retry": 0,
        "failed": 0,
        "skipped": 0,
        "suppressed": 0,
    }
    assert len(mail.outbox) == 2
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_row_held_by_a_live_lease_is_not_taken_and_an_expired_one_is(announced, settings):
    schedule.create_due(NOW)
    ids = list(Delivery.objects.values_list("id", flat=True))
    claimed = outbox.claim(ids, now=NOW)  # a worker takes them, then dies without recording anything
    assert len(claimed) == 2
    assert outbox.send_chunk(ids, now=NOW + timedelta(seconds=10)).sent == []
    assert outbox.dispatch(NOW + timedelta(seconds=10), enqueue=lambda ids: None) == 0
    later = NOW + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    queued = []
    assert outbox.dispatch(later, enqueue=queued.append) == 2
    outbox.send_chunk(queued[0], now=later)
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Status.SENT, 2)}
    assert len(mail.outbox) == 2


def test_unsubscribed_before_sending_is_not_sent(announced):
    schedule.create_due(NOW)
    ada = Delivery.objects.get(subscriber__email="ada@example.com")
    subscriptions.unsubscribe(ada.subscriber)
    send_all(NOW)
    ada.refresh_from_db()
    assert (ada.status, ada.last_error) == (Status.SKIPPED, "unsubscribed")
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


class StubBackend:
    """A mail backend with nothing to open or close; a subclass says what sending does."""

    def __init__(self, **kwargs):
        pass

    def open(self):
        return True

    def close(self):
        pass


class FlakyBackend(StubBackend):
    """A mail backend that fails each message with the exception it is given."""

    error = None
    sent = []

    def send_messages(self, messages):
        if FlakyBackend.error is not None:
            raise FlakyBackend.error
        FlakyBackend.sent.extend(messages)
        return len(messages)


def test_transient_errors_are_retried_with_backoff_then_marked_failed(
    announced, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.FlakyBackend"
    settings.DELIVERY_MAX_ATTEMPTS = 3
    schedule.create_due(NOW)
    FlakyBackend.error = smtplib.SMTPServerDisconnected("connection lost")
    queued = []
    settings.DELIVERY_RETRY_BASE_SECONDS = 30
    monkeypatch.setattr(
        queueing, "publish", lambda name, args, countdown=None, retry=True: queued.append((name, *args, countdown))
    )
    try:
        ids = list(Delivery.objects.values_list("id", flat=True))
        with django_capture_on_commit_callbacks(execute=True):  # the retry is queued once its rows are recorded
            outbox.send_chunk(ids, now=NOW)
        row = Delivery.objects.get(subscriber__email="ada@example.com")
        assert (row.status, row.attempts, row.next_attempt_at) == (Status.PENDING, 1, NOW + timedelta(seconds=30))
        assert "connection lost" in row.last_error
        assert queued == [("notifications.tasks.send_chunk", sorted(ids), 30)]
        assert outbox.send_chunk(ids, now=NOW + timedelta(seconds=29)).sent == []  # not due yet
        outbox.send_chunk(ids, now=NOW + timedelta(seconds=30))
        row.refresh_from_db()
        assert (row.status, row.attempts, row.next_attempt_at) == (Status.PENDING, 2, NOW + timedelta(seconds=90))
        outbox.send_chunk(ids, now=NOW + timedelta(seconds=90))
        row.refresh_from_db()
        assert (row.status, row.attempts) == (Status.FAILED, 3)
        assert row.last_error.startswith("gave up after 3 attempts")
    finally:
        FlakyBackend.error = None


@override_settings(EMAIL_BACKEND="tests.notifications.test_outbox.FlakyBackend")
def test_a_permanent_refusal_is_recorded_and_not_retried(announced):
    schedule.create_due(NOW)
    FlakyBackend.error = smtplib.SMTPRecipientsRefused({"ada@example.com": (550, b"no such user")})
    try:
        send_all(NOW)
    finally:
        FlakyBackend.error = None
    rows = Delivery.objects.all()
    assert {(r.status, r.attempts) for r in rows} == {(Status.FAILED, 1)}
    assert all(r.last_error.startswith("SMTPRecipientsRefused") for r in rows)


def test_sending_a_chunk_takes_a_fixed_number_of_queries(announced, make_subscriber, django_assert_max_num_queries):
    for n in range(30):
        make_subscriber(
            f"user{n}@example.com", language="de" if n % 2 else "en", timezone="Asia/Tokyo" if n % 3 else ""
        )
    schedule.create_due(NOW)
    ids = list(Delivery.objects.values_list("id", flat=True))
    with django_assert_max_num_queries(8):
        result = outbox.send_chunk(ids, now=NOW)
    assert len(result.sent) == 32


def test_schedule_due_queues_pending_rows_once_per_lease(announced, settings):
    queued = []
    schedule.create_due(NOW)
    assert outbox.dispatch(NOW, enqueue=queued.append) == 2
    assert outbox.dispatch(NOW + timedelta(seconds=5), enqueue=queued.append) == 0
    assert outbox.dispatch(NOW + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1), enqueue=queued.append) == 2
    assert len(queued) == 2


def test_the_esp_message_id_is_recorded(announced, settings):
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    schedule.create_due(NOW)
    result = send_all(NOW)
    assert len(result.sent) == 2
    rows = Delivery.objects.order_by("id")
    assert [(r.status, r.esp_message_id) for r in rows] == [(Status.SENT, "0"), (Status.SENT, "1")]


def test_a_broker_outage_when_a_window_changes_is_logged_and_left_to_the_beat(
    announced, monkeypatch, caplog, django_capture_on_commit_callbacks
):
    from maintenance.models import Window
    from maintenance.signals import window_changed
    from notifications import tasks

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("broker unreachable")

    monkeypatch.setattr(tasks.schedule_due, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        results = window_changed.send_robust(sender=Window, window_id=announced.pk, action="announce", sequence=1)
    assert [result for _receiver, result in results if isinstance(result, Exception)] == []
    logged = "Error calling notifications.tasks.schedule_due.apply_async in on_commit() (broker unreachable)."
    assert logged in caplog.text
    queued = []
    schedule.create_due(NOW)
    assert outbox.dispatch(NOW, enqueue=queued.append) == 2  # the next beat tick finds and queues the work


def test_rows_a_run_creates_are_queued_by_that_run_without_being_written_again(announced, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    schedule.create_due(NOW)
    assert set(Delivery.objects.values_list("queued_at", flat=True)) == {NOW}
    queued = []
    with CaptureQueriesContext(connection) as queries:
        assert outbox.dispatch(NOW, enqueue=queued.extend) == 2
    assert sorted(queued) == sorted(Delivery.objects.values_list("id", flat=True))
    assert not [query for query in queries if query["sql"].startswith("UPDATE")]
    # Another run within the lease leaves them to the queued task; after it, the beat queues them again.
    assert outbox.dispatch(NOW + timedelta(seconds=30), enqueue=queued.extend) == 0
    later = NOW + timedelta(seconds=settings.DELIVERY_LEASE_SECONDS + 1)
    assert outbox.dispatch(later, enqueue=queued.extend) == 2
    assert set(Delivery.objects.values_list("queued_at", flat=True)) == {later}


def test_rows_loaded_for_sending_are_the_instances_django_would_build(announced):
    schedule.create_due(NOW)
    assert Delivery.objects.count() == 2
    for delivery in Delivery.objects.select_related("subscriber").defer(*outbox.NOT_FOR_SENDING):
        for instance in (delivery, delivery.subscriber):
            names = [name for name in vars(instance) if name != "_state"]
            usual = Model.from_db.__func__(type(instance), "default", names, [vars(instance)[n] for n in names])
            assert {n: v for n, v in vars(instance).items() if n != "_state"} == {
                n: v for n, v in vars(usual).items() if n != "_state"
            }
            assert (instance._state.adding, instance._state.db) == (usual._state.adding, usual._state.db)
            assert instance.get_deferred_fields() == usual.get_deferred_fields()
            assert instance.get_deferred_fields()  # the deferred columns load on first use, as usual
    delivery = Delivery.objects.defer("last_error").get(pk=delivery.pk)
    assert delivery.last_error == "" and delivery.subscriber.email


class WatchingBackend(StubBackend):
    """A mail backend that notes, for each message it is handed, how many rows are recorded as sent by then and the
    lease of the rows still waiting; ``clock`` (when set) moves on by ``step`` seconds per message."""

    seen = []
    clock = None
    step = 0

    def send_messages(self, messages):
        waiting = Delivery.objects.filter(status=Status.SENDING).order_by("id").values_list("lease_until", flat=True)
        WatchingBackend.seen.append((Delivery.objects.filter(status=Status.SENT).count(), list(waiting)))
        if WatchingBackend.clock is not None:
            WatchingBackend.clock.now += WatchingBackend.step
        return len(messages)


class Clock:
    """Stands in for the outbox's ``time`` module: a monotonic clock that moves only when told."""

    def __init__(self):
        self.now = 0.0

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


@pytest.fixture
def six_rows(window, make_subscriber, settings):
    settings.EMAIL_BACKEND = "tests.notifications.test_outbox.WatchingBackend"
    settings.DELIVERY_CHUNK_SIZE, settings.DELIVERY_CHUNKS_PER_TASK = 2, 3
    for n in range(6):
        make_subscriber(f"user{n}@example.com")
    lifecycle.announce(window, now=NOW)
    schedule.create_due(NOW)
    WatchingBackend.seen, WatchingBackend.clock, WatchingBackend.step = [], None, 0
    yield sorted(Delivery.objects.values_list("id", flat=True))
    WatchingBackend.clock = None


def test_a_task_carries_several_chunks_and_records_each_once_it_is_handed_over(six_rows):
    queued = []
    assert outbox.dispatch(NOW, enqueue=queued.append) == 6
    assert queued == [six_rows]  # one task, one claim, for three chunks of two
    result = outbox.send_chunk(six_rows, now=NOW)
    assert len(result.sent) == 6
    # While a chunk is being sent, every chunk before it is already recorded: a worker killed now would send again
    # only the chunk in hand, never more.
    assert [sent for sent, _waiting in WatchingBackend.seen] == [0, 0, 2, 2, 4, 4]
    assert set(Delivery.objects.values_list("status", "attempts")) == {(Status.SENT, 1)}


def test_a_long_task_renews_the_lease_of_the_rows_it_has_not_reached(six_rows, settings, monkeypatch):
    lease = timedelta(seconds=settings.DELIVERY_LEASE_SECONDS)
    clock = WatchingBackend.clock = Clock()
    WatchingBackend.step = settings.DELIVERY_LEASE_SECONDS * 0.4  # a chunk of two takes 80% of the lease
    monkeypatch.setattr(outbox, "time", clock)
    outbox.send_chunk(six_rows, now=NOW)
    step = timedelta(seconds=WatchingBackend.step)
    leases = [waiting for _sent, waiting in WatchingBackend.seen]
    assert leases[0] == [NOW + lease] * 6  # the claim's lease
    assert leases[2] == [NOW + 2 * step + lease] * 4  # renewed from the task's clock before the second chunk
    assert leases[4] == [NOW + 4 * step + lease] * 2  # and again before the third
    assert Delivery.objects.filter(status=Status.SENT).count() == 6
