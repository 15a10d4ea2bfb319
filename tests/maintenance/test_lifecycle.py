from datetime import UTC, datetime, timedelta

import pytest

from maintenance import lifecycle, planning
from maintenance.lifecycle import TransitionError
from maintenance.models import AuditEvent, Window
from maintenance.signals import window_changed

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def window(db):
    planning.plan(NOW, 2)
    return Window.objects.get(region__slug="eu-frankfurt", month="2026-11-01")


@pytest.fixture
def sent(django_capture_on_commit_callbacks):
    calls = []

    def receiver(sender, **kwargs):
        calls.append((kwargs["window_id"], kwargs["action"], kwargs["sequence"]))

    window_changed.connect(receiver)
    yield calls
    window_changed.disconnect(receiver)


def test_announce_schedules_bumps_sequence_audits_and_signals_after_commit(
    window, sent, django_capture_on_commit_callbacks, admin_user
):
    with django_capture_on_commit_callbacks(execute=True):
        outcome = lifecycle.announce(window, admin_user, "November release", now=NOW)
    assert outcome.changed and outcome.message == "Announced."
    window.refresh_from_db()
    assert (window.status, window.sequence, window.announced_at) == (Window.Status.SCHEDULED, 1, NOW)
    event = AuditEvent.objects.get(window=window)
    assert (event.actor, event.actor_label, event.action, event.reason) == (
        admin_user,
        "admin",
        "announce",
        "November release",
    )
    assert event.changes == {
        "status": ["planned", "scheduled"],
        "announced_at": [None, NOW.isoformat()],
        "sequence": [0, 1],
    }
    assert sent == [(window.pk, "announce", 1)]


def test_repeated_announce_changes_nothing_and_says_so(window, sent, django_capture_on_commit_callbacks):
    lifecycle.announce(window, now=NOW)
    with django_capture_on_commit_callbacks(execute=True):
        outcome = lifecycle.announce(window, now=NOW)
    assert not outcome.changed and outcome.message == "The window is already announced."
    assert Window.objects.get(pk=window.pk).sequence == 1
    assert AuditEvent.objects.count() == 1
    assert sent == []


def test_cannot_complete_a_planned_window(window):
    with pytest.raises(TransitionError, match="The window is planned, so it cannot be completed."):
        lifecycle.complete(window, now=NOW)
    assert Window.objects.get(pk=window.pk).status == Window.Status.PLANNED
    assert not AuditEvent.objects.exists()


def test_cannot_announce_a_window_that_has_started(window):
    with pytest.raises(TransitionError, match="already started"):
        lifecycle.announce(window, now=window.starts_at)


def test_full_run_from_announce_to_complete(window):
    lifecycle.announce(window, now=NOW)
    lifecycle.start(window, now=window.starts_at)
    lifecycle.extend(window, 15, now=window.starts_at + timedelta(minutes=50))
    lifecycle.complete(window, now=window.starts_at + timedelta(minutes=70))
    window.refresh_from_db()
    assert window.status == Window.Status.COMPLETED
    assert window.actual_start == window.starts_at
    assert window.ends_at - window.starts_at == timedelta(minutes=75)
    assert window.sequence == 2
    assert list(AuditEvent.objects.filter(window=window).order_by("created_at").values_list("action", flat=True)) == [
        "announce",
        "start",
        "extend",
        "complete",
    ]


def test_advance_starts_due_scheduled_windows_but_does_not_complete_by_default(window):
    lifecycle.announce(window, now=NOW)
    assert lifecycle.advance(now=window.starts_at - timedelta(seconds=1)) == []
    [outcome] = lifecycle.advance(now=window.starts_at)
    assert outcome.window.status == Window.Status.IN_PROGRESS
    assert AuditEvent.objects.filter(window=window, action="start").get().actor_label == "schedule"
    assert lifecycle.advance(now=window.ends_at + timedelta(hours=1)) == []
    window.refresh_from_db()
    assert window.status == Window.Status.IN_PROGRESS and window.is_overrunning(window.ends_at)
