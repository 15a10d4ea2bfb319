"""The geometry of the follow-the-sun strip: one release night's windows on a 24-hour UTC axis. Pure: no Django.

The axis is one UTC calendar day, 00:00 to 24:00, of the release Saturday. A window is placed at its UTC time of
day. A window that crosses midnight UTC is drawn as **two bars**: the part before midnight at the right edge of the
axis and the rest at the left edge, each bar knowing how many days after the axis day it falls (``day_offset``), so
no time is clipped away. A window on the next UTC day (the Americas' Saturday night is Sunday in UTC) is one bar
with ``day_offset`` 1.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

HOURS = 24
LABEL_WIDTH = 150  # user units left of the axis for the region names
AXIS_WIDTH = 840  # user units for the 24 hours
WIDTH = LABEL_WIDTH + AXIS_WIDTH + 24  # room for the "24:00" label centred on the last tick
TOP = 22  # the hour labels above the first row
ROW = 24
BAR = 14
FOOT = 20  # the labels of the now and midnight markers below the last row
TICK_HOURS = tuple(range(0, HOURS + 1, 3))


@dataclass(frozen=True)
class Piece:
    """A part of a window within one UTC day: hours on the axis (0 to 24) and that day's offset from the axis day."""

    start_hour: float
    end_hour: float
    day_offset: int


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    day_offset: int


def day_start(day):
    return datetime.combine(day, time(0), tzinfo=UTC)


def hours_into_day(instant):
    """Hours since the start of ``instant``'s UTC day: 13.5 for 13:30 UTC."""
    utc = instant.astimezone(UTC)
    return utc.hour + utc.minute / 60 + utc.second / 3600


def pieces(start, end, day):
    """``[start, end)`` split at every UTC midnight, each part as a ``Piece`` on the axis of UTC date ``day``."""
    start, end = start.astimezone(UTC), end.astimezone(UTC)
    out = []
    cursor = start
    while cursor < end:
        midnight = day_start(cursor.date()) + timedelta(days=1)
        stop = min(end, midnight)
        out.append(
            Piece(
                start_hour=hours_into_day(cursor),
                end_hour=HOURS if stop == midnight else hours_into_day(stop),
                day_offset=(cursor.date() - day).days,
            )
        )
        cursor = stop
    return out


def x_of(hour):
    """The x coordinate of an hour (0 to 24) on the axis."""
    return LABEL_WIDTH + AXIS_WIDTH * hour / HOURS


def bars(start, end, day):
    """The bars that draw the window ``[start, end)`` on the axis of ``day``."""
    out = []
    for piece in pieces(start, end, day):
        left, right = x_of(piece.start_hour), x_of(piece.end_hour)
        out.append(Bar(x=round(left, 1), width=round(right - left, 1), day_offset=piece.day_offset))
    return out


def row_y(index):
    """The top of row ``index``'s band."""
    return TOP + index * ROW


def height(rows):
    """Room for the hour labels, the rows and the markers' labels below them."""
    return TOP + rows * ROW + FOOT


def ticks():
    """``[(x, "03:00")]`` for the hour labels along the top."""
    return [(round(x_of(hour), 1), f"{hour:02d}:00") for hour in TICK_HOURS]
