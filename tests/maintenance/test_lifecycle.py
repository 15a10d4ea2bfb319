from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from maintenance import lifecycle, state
from maintenance.lifecycle import TransitionError
from maintenance.models import AuditEvent, Window
from maintenance.signals import window_changed
from maintenance.state import RegionState
from tests.conftest import NOW
from tests.maintenance.transitions import CASES, bring_to, new_times


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
        "announced_ends_at": [None, window.ends_at.isoformat()],
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


# --- every transition through the service --------------------------------------------------------


def _call(action, window, now):
    if action == "reschedule":
        return lifecycle.reschedule(window, *new_times(window), reason="test", now=now)
    if action == "extend":
        return lifecycle.extend(window, 10, reason="test", now=now)
    if action == "start":  # NOW is weeks before the window: the table is about states, so the start is forced
        return lifecycle.start(window, reason="test", now=now, force=True)
    return getattr(lifecycle, action)(window, reason="test", now=now)


@pytest.mark.parametrize(("case", "expected"), CASES, ids=[f"{s}-{a}" for (s, a), _ in CASES])
def test_every_transition_through_the_service(window, case, expected):
    from_state, action = case
    window = bring_to(window, from_state)
    events_before = AuditEvent.objects.filter(window=window).count()
    sequence_before = window.sequence
    if expected == "refused":
        with pytest.raises(TransitionError, match=r"^The window is "):
            _call(action, window, NOW)
        window.refresh_from_db()
        assert window.status == from_state
        assert AuditEvent.objects.filter(window=window).count() == events_before
        return
    outcome = _call(action, window, NOW)
    window.refresh_from_db()
    if expected == "same":
        assert not outcome.changed and outcome.message.startswith("The window is already")
        assert (window.status, window.sequence) == (from_state, sequence_before)
        assert AuditEvent.objects.filter(window=window).count() == events_before
    else:
        assert outcome.changed
        assert window.status == expected
        event = AuditEvent.objects.filter(window=window).latest("id")
        assert (event.action, event.reason) == (action, "test")
        customers_see_it = action in ("announce", "cancel", "reschedule", "extend")
        assert window.sequence == sequence_before + (1 if customers_see_it else 0)


def test_reschedule_refuses_a_start_in_the_past_and_a_window_over_an_hour(window):
    with pytest.raises(TransitionError, match="must lie in the future"):
        lifecycle.reschedule(window, NOW - timedelta(hours=1), NOW - timedelta(minutes=30), now=NOW)
    with pytest.raises(TransitionError, match="1 to 60 minutes; asked for 61"):
        lifecycle.reschedule(window, window.starts_at, window.starts_at + timedelta(minutes=61), now=NOW)
    window.refresh_from_db()
    assert (window.sequence, window.edited_by_hand) == (0, False)


def test_reschedule_records_old_and_new_times(window, admin_user):
    starts_at, ends_at = new_times(window)
    old_start, old_end = window.starts_at, window.ends_at
    lifecycle.reschedule(window, starts_at, ends_at, actor=admin_user, reason="Database upgrade", now=NOW)
    event = AuditEvent.objects.get(window=window, action="reschedule")
    assert event.changes == {
        "starts_at": [old_start.isoformat(), starts_at.isoformat()],
        "ends_at": [old_end.isoformat(), ends_at.isoformat()],
        "edited_by_hand": [False, True],
        "sequence": [0, 1],
    }
    assert (event.actor, event.reason) == (admin_user, "Database upgrade")


# --- automatic transitions under frozen time -------------------------------------------------------


def test_auto_start_fires_at_the_start_and_an_unconfirmed_window_overruns(window, regions):
    lifecycle.announce(window, now=NOW)
    assert (window.auto_start, window.auto_complete) == (True, False)
    with time_machine.travel(window.starts_at - timedelta(seconds=1), tick=False):
        assert lifecycle.advance() == []
        assert state.region_states(timezone.now())[regions["eu-frankfurt"]] == RegionState.OPERATIONAL
    with time_machine.travel(window.starts_at, tick=False):
        [outcome] = lifecycle.advance()
        assert outcome.window.status == Window.Status.IN_PROGRESS
        assert outcome.window.actual_start == window.starts_at
        assert state.region_states(timezone.now())[regions["eu-frankfurt"]] == RegionState.UNDER_MAINTENANCE
    with time_machine.travel(window.ends_at + timedelta(minutes=5), tick=False):
        assert lifecycle.advance() == []
        window.refresh_from_db()
        assert window.status == Window.Status.IN_PROGRESS
        assert state.region_states(timezone.now())[regions["eu-frankfurt"]] == RegionState.OVERRUNNING


def test_auto_complete_when_switched_on_completes_at_the_announced_end(window, regions):
    Window.objects.filter(pk=window.pk).update(auto_complete=True)
    lifecycle.announce(window, now=NOW)
    with time_machine.travel(window.starts_at + timedelta(seconds=10), tick=False):
        lifecycle.advance()
    with time_machine.travel(window.ends_at - timedelta(seconds=1), tick=False):
        assert lifecycle.advance() == []
    with time_machine.travel(window.ends_at + timedelta(seconds=25), tick=False):
        [outcome] = lifecycle.advance()
        assert outcome.window.status == Window.Status.COMPLETED
        # A tick that runs late does not turn into an overrun.
        assert outcome.window.actual_end == window.ends_at
        assert state.region_states(timezone.now())[regions["eu-frankfurt"]] == RegionState.OPERATIONAL
    assert list(AuditEvent.objects.filter(window=window).order_by("id").values_list("action", "actor_label")) == [
        ("announce", "system"),
        ("start", "schedule"),
        ("complete", "schedule"),
    ]


def test_advance_task_counts_the_windows_it_moved(window):
    from maintenance.tasks import advance_windows

    lifecycle.announce(window, now=NOW)
    with time_machine.travel(window.starts_at + timedelta(seconds=3), tick=False):
        assert advance_windows() == 1
        assert advance_windows() == 0


def test_actor_is_a_user_a_named_system_or_anonymous(admin_user):
    from django.contrib.auth.models import AnonymousUser

    assert lifecycle.Actor.of(admin_user) == lifecycle.Actor(user=admin_user, label="admin")
    assert lifecycle.Actor.of("pipeline") == lifecycle.Actor(label="pipeline")
    assert lifecycle.Actor.of(None) == lifecycle.Actor(label="system")
    assert lifecycle.Actor.of(AnonymousUser()) == lifecycle.Actor(label="anonymous")
    assert lifecycle.Actor.of(lifecycle.SCHEDULE) is lifecycle.SCHEDULE


def test_extending_a_running_window_keeps_the_promised_end_and_it_overruns(window):
    lifecycle.announce(window, now=NOW)
    promised = window.ends_at
    lifecycle.start(window, now=window.starts_at)
    lifecycle.extend(window, 15, now=window.starts_at + timedelta(minutes=50))
    window.refresh_from_db()
    assert window.ends_at == promised + timedelta(minutes=15)
    assert window.announced_ends_at == promised
    assert not window.is_overrunning(promised - timedelta(seconds=1))
    assert window.is_overrunning(promised)


def test_rescheduling_or_extending_before_the_start_moves_the_promise(window):
    lifecycle.announce(window, now=NOW)
    new_start = window.starts_at + timedelta(hours=2)
    lifecycle.reschedule(window, new_start, new_start + timedelta(minutes=40), now=NOW)
    lifecycle.extend(window, 10, now=NOW)
    window.refresh_from_db()
    assert window.announced_ends_at == window.ends_at == new_start + timedelta(minutes=50)


# --- the start lead, and restoring a window a freeze cancelled --------------------------------------


def test_a_start_more_than_the_lead_ahead_is_refused_unless_forced_with_a_reason(window, admin_user):
    with pytest.raises(TransitionError, match=r"starts at 2026-11-28 21:00 UTC, more than 60 minutes from now"):
        lifecycle.start(window, admin_user, now=NOW)
    with pytest.raises(TransitionError, match="Give a reason to start a window early."):
        lifecycle.start(window, admin_user, now=NOW, force=True, reason="  ")
    assert Window.objects.get(pk=window.pk).status == Window.Status.PLANNED
    assert not AuditEvent.objects.exists()
    outcome = lifecycle.start(window, admin_user, "hotfix needs it today", now=NOW, force=True)
    assert outcome.changed and outcome.window.actual_start == NOW
    event = AuditEvent.objects.get(window=window, action="start")
    assert (event.actor, event.reason, event.changes["forced"]) == (admin_user, "hotfix needs it today", [False, True])


def test_a_start_within_the_lead_needs_no_force_and_the_lead_is_a_setting(window, settings):
    lifecycle.announce(window, now=NOW)
    settings.START_LEAD_MINUTES = 30
    with pytest.raises(TransitionError, match="more than 30 minutes from now"):
        lifecycle.start(window, now=window.starts_at - timedelta(minutes=31))
    outcome = lifecycle.start(window, now=window.starts_at - timedelta(minutes=30))
    assert outcome.window.status == Window.Status.IN_PROGRESS
    assert "forced" not in AuditEvent.objects.get(window=window, action="start").changes


def test_restore_undoes_only_a_cancellation_made_by_a_freeze(window, admin_user):
    by_hand = Window.objects.get(region__slug="us", month="2026-11-01")
    lifecycle.cancel(by_hand, now=NOW)
    with pytest.raises(TransitionError, match="Only a window cancelled by a freeze can be restored"):
        lifecycle.restore(by_hand, now=NOW)
    planned = lifecycle.restore(Window.objects.get(region__slug="japan", month="2026-11-01"), now=NOW)
    assert (planned.changed, planned.message) == (False, "The window is already planned.")
    lifecycle.announce(planned.window, now=NOW)
    with pytest.raises(TransitionError, match="The window is scheduled, so it cannot be restored."):
        lifecycle.restore(planned.window, now=NOW)
    lifecycle.cancel(window, now=NOW, freeze="2026-11 (all regions)")
    cancelled = AuditEvent.objects.get(window=window, action="cancel")
    assert cancelled.changes["freeze"] == [None, "2026-11 (all regions)"]
    with pytest.raises(TransitionError, match="time has passed"):
        lifecycle.restore(window, now=window.starts_at)
    outcome = lifecycle.restore(window, admin_user, "freeze lifted", now=NOW)
    assert (outcome.changed, outcome.message) == (True, "Restored: planned again.")
    window.refresh_from_db()
    assert (window.status, window.sequence) == (Window.Status.PLANNED, 2)
    event = AuditEvent.objects.get(window=window, action="restore")
    assert (event.actor, event.reason) == (admin_user, "freeze lifted")
    assert event.changes["status"] == ["cancelled", "planned"]
