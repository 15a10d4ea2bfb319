"""The lifecycle's nudge: a window changed, so work out what endpoints are due now rather than at the next tick."""

from endpoints import queueing


def window_changed(sender, window_id=None, action=None, sequence=None, **kwargs):
    queueing.schedule_due_on_commit()
