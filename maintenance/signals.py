"""The one way the lifecycle (and the incident service) tells the rest of the system that a window (or an incident)
changed.

Each is sent after the transaction commits, with ids only. It is a nudge with no
duty attached: whoever listens must also find its work without it (the beat).
"""

from django.dispatch import Signal

# Sent with window_id (int), action (str) and sequence (int).
window_changed = Signal()

# Sent with incident_id (int), update_id (int or None: an edit posts no update) and action (str), by
# ``maintenance.incidents`` after each open, update, resolve or reopen.
incident_changed = Signal()
