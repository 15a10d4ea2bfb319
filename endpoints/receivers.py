"""Nudges: news happened (a window changed, and whatever other news signal is connected to ``news``), so work out
what endpoints are due now rather than at the next beat tick. Losing one loses nothing: the beat finds it."""

from endpoints import queueing


def news(sender, **kwargs):
    queueing.schedule_due_on_commit()
