"""The one way the lifecycle tells the rest of the system that a window changed.

It is sent after the transaction commits, with ids only. It is a nudge with no
duty attached: whoever listens must also find its work without it (the beat).
"""

from django.dispatch import Signal

# Sent with window_id (int), action (str) and sequence (int).
window_changed = Signal()
