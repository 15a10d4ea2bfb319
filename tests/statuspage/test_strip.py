"""The follow-the-sun strip's geometry: each window at its UTC hours on a 24-hour axis of the release Saturday."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from statuspage import strip

SATURDAY = date(2026, 11, 28)


def at(day, hour, minute=0):
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_a_window_inside_the_day_is_one_piece_at_its_utc_hours():
    assert strip.pieces(at(28, 13), at(28, 14), SATURDAY) == [strip.Piece(13, 14, 0)]


def test_a_window_crossing_midnight_utc_is_two_pieces_the_rest_at_the_left_edge_on_the_next_day():
    assert strip.pieces(at(28, 23, 30), at(29, 0, 30), SATURDAY) == [
        strip.Piece(23.5, 24, 0),
        strip.Piece(0, 0.5, 1),
    ]


def test_a_window_on_the_next_utc_day_is_one_piece_marked_a_day_later():
    """The Americas' Saturday night: 23:00 in New York is 04:00 UTC on Sunday."""
    assert strip.pieces(at(29, 4), at(29, 5), SATURDAY) == [strip.Piece(4, 5, 1)]


def test_a_window_ending_exactly_at_midnight_is_one_piece_up_to_24():
    assert strip.pieces(at(28, 23), at(29, 0), SATURDAY) == [strip.Piece(23, 24, 0)]


def test_a_window_on_the_day_before_is_marked_a_day_earlier():
    assert strip.pieces(at(27, 21), at(27, 22), SATURDAY) == [strip.Piece(21, 22, -1)]


def test_pieces_accept_any_zone_and_read_it_as_utc():
    tokyo = ZoneInfo("Asia/Tokyo")
    start = datetime(2026, 11, 28, 22, 0, tzinfo=tokyo)  # 13:00 UTC
    assert strip.pieces(start, start.replace(hour=23), SATURDAY) == [strip.Piece(13, 14, 0)]


def test_bars_map_hours_onto_the_axis_after_the_label_column():
    [bar] = strip.bars(at(28, 12), at(28, 18), SATURDAY)
    assert bar.x == strip.LABEL_WIDTH + strip.AXIS_WIDTH / 2
    assert bar.width == strip.AXIS_WIDTH / 4
    assert bar.day_offset == 0


def test_a_bar_crossing_midnight_ends_at_the_right_edge_and_goes_on_from_the_left_edge():
    late, early = strip.bars(at(28, 23, 30), at(29, 0, 30), SATURDAY)
    assert late.x + late.width == pytest.approx(strip.x_of(24)) == strip.LABEL_WIDTH + strip.AXIS_WIDTH
    assert early.x == strip.LABEL_WIDTH and early.width == pytest.approx(strip.AXIS_WIDTH / 48)
    assert (late.day_offset, early.day_offset) == (0, 1)


def test_hours_into_day_counts_minutes_and_seconds():
    assert strip.hours_into_day(datetime(2026, 11, 28, 16, 30, 36, tzinfo=UTC)) == pytest.approx(16.51)


def test_ticks_label_every_third_hour_from_00_to_24():
    ticks = strip.ticks()
    assert [label for _x, label in ticks] == [
        "00:00",
        "03:00",
        "06:00",
        "09:00",
        "12:00",
        "15:00",
        "18:00",
        "21:00",
        "24:00",
    ]
    assert ticks[0][0] == strip.LABEL_WIDTH and ticks[-1][0] == strip.LABEL_WIDTH + strip.AXIS_WIDTH


def test_rows_stack_below_the_hour_labels_with_room_for_the_markers():
    assert strip.row_y(0) == strip.TOP and strip.row_y(2) == strip.TOP + 2 * strip.ROW
    assert strip.height(7) == strip.TOP + 7 * strip.ROW + strip.FOOT
