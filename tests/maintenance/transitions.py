"""The lifecycle's transition table, shared by the service, admin and API tests."""

from datetime import timedelta

from maintenance import lifecycle
from tests.conftest import NOW

STATES = ["planned", "scheduled", "in_progress", "completed", "cancelled"]
ACTIONS = ["announce", "start", "complete", "cancel", "reschedule", "extend"]

# (state, action) -> the status afterwards, "same" for a no-op that says so, or "refused".
TABLE = {
    ("planned", "announce"): "scheduled",
    ("scheduled", "announce"): "same",
    ("in_progress", "announce"): "refused",
    ("completed", "announce"): "refused",
    ("cancelled", "announce"): "refused",
    ("planned", "start"): "in_progress",
    ("scheduled", "start"): "in_progress",
    ("in_progress", "start"): "same",
    ("completed", "start"): "refused",
    ("cancelled", "start"): "refused",
    ("planned", "complete"): "refused",
    ("scheduled", "complete"): "refused",
    ("in_progress", "complete"): "completed",
    ("completed", "complete"): "same",
    ("cancelled", "complete"): "refused",
    ("planned", "cancel"): "cancelled",
    ("scheduled", "cancel"): "cancelled",
    ("in_progress", "cancel"): "refused",
    ("completed", "cancel"): "refused",
    ("cancelled", "cancel"): "same",
    ("planned", "reschedule"): "planned",
    ("scheduled", "reschedule"): "scheduled",
    ("in_progress", "reschedule"): "refused",
    ("completed", "reschedule"): "refused",
    ("cancelled", "reschedule"): "refused",
    ("planned", "extend"): "refused",
    ("scheduled", "extend"): "scheduled",
    ("in_progress", "extend"): "in_progress",
    ("completed", "extend"): "refused",
    ("cancelled", "extend"): "refused",
}
CASES = sorted(TABLE.items())


def bring_to(window, state, now=NOW):
    """Move a planned window to ``state`` through the lifecycle."""
    if state == "cancelled":
        lifecycle.cancel(window, now=now)
    if state in ("scheduled", "in_progress", "completed"):
        lifecycle.announce(window, now=now)
    if state in ("in_progress", "completed"):
        lifecycle.start(window, now=now, force=True, reason="started ahead for the test")
    if state == "completed":
        lifecycle.complete(window, now=now)
    window.refresh_from_db()
    assert window.status == state
    return window


def new_times(window):
    """Times a reschedule moves the window to: a week later, 45 minutes long."""
    starts_at = window.starts_at + timedelta(days=7)
    return starts_at, starts_at + timedelta(minutes=45)
