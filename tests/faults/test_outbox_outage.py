"""A chunk handed to the mail backend while the database was away is recorded once it answers again, not resent."""

import pytest
from django.core import mail
from django.db import OperationalError

from maintenance import lifecycle, planning
from maintenance.models import Region, Window
from notifications import outbox, queueing, schedule
from notifications.models import Delivery, Subscriber
from tests.conftest import NOW

# The retry needs real transactions, as in a worker; the rollback gives the next test the seed regions back.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def planned_rows(monkeypatch):
    monkeypatch.setattr(queueing, "schedule_due_on_commit", lambda: None)  # no broker: the test plans itself
    monkeypatch.setattr(outbox.time, "sleep", lambda seconds: None)
    region = Region.objects.get(slug="eu-frankfurt")
    planning.plan(NOW, 2)
    window = Window.objects.get(region=region, month="2026-11-01")
    for email in ("ada@example.com", "bob@example.com"):
        Subscriber.objects.create(email=email, state="confirmed", created_at=NOW, confirmed_at=NOW).regions.set(
            [region]
        )
    lifecycle.announce(window, now=NOW)
    schedule.create_due(NOW)
    return list(Delivery.objects.values_list("id", flat=True))


def failing_record(monkeypatch, times):
    """Make recording fail ``times`` times with the error a restarted PostgreSQL gives, then work."""
    real, failures = outbox.record_result, []

    def record_result(result, now=None):
        if len(failures) < times:
            failures.append(now)
            raise OperationalError("terminating connection due to administrator command")
        return real(result, now)

    monkeypatch.setattr(outbox, "record_result", record_result)
    return failures


def test_the_outcome_of_a_sent_chunk_is_recorded_once_the_database_answers_again(planned_rows, monkeypatch):
    failures = failing_record(monkeypatch, times=2)
    result = outbox.send_chunk(planned_rows, now=NOW)
    assert len(failures) == 2
    assert len(result.sent) == 2 and len(mail.outbox) == 2
    assert set(Delivery.objects.values_list("status", "attempts")) == {("sent", 1)}
    assert outbox.send_chunk(planned_rows, now=NOW).sent == []  # nothing left to send twice


def test_a_database_away_longer_than_the_lease_leaves_the_rows_to_the_lease(planned_rows, monkeypatch, settings):
    settings.DELIVERY_LEASE_SECONDS = 1
    failing_record(monkeypatch, times=1000)
    with pytest.raises(OperationalError):
        outbox.send_chunk(planned_rows, now=NOW)
    assert len(mail.outbox) == 2
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sending"}  # the lease will hand them out again
