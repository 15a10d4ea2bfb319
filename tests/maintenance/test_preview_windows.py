import json
from datetime import datetime
from io import StringIO
from zoneinfo import ZoneInfo, available_timezones

import pytest
from django.core.management import call_command
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests import shell
from tests.oracle import window_by_oracle


def preview(*args):
    out = StringIO()
    call_command("preview_windows", *args, stdout=out)
    return out.getvalue()


@settings(max_examples=200, deadline=None)
@given(
    zone_name=st.sampled_from(sorted(available_timezones())),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
    length=st.integers(1, 60),
    year=st.integers(1970, 2099),
    month=st.integers(1, 12),
)
@example(zone_name="Pacific/Kiritimati", hour=0, minute=30, length=60, year=2026, month=1)
@example(zone_name="Pacific/Pago_Pago", hour=23, minute=30, length=60, year=2026, month=1)
@example(zone_name="America/Nuuk", hour=23, minute=30, length=45, year=2026, month=3)
@example(zone_name="America/Nuuk", hour=23, minute=30, length=45, year=2025, month=10)
def test_json_agrees_with_the_independent_rule(zone_name, hour, minute, length, year, month):
    rows = json.loads(
        preview(
            "--timezone",
            zone_name,
            "--start",
            f"{hour:02d}:{minute:02d}",
            "--minutes",
            str(length),
            "--from",
            f"{year:04d}-{month:02d}",
            "--months",
            "3",
            "--json",
        )
    )
    assert [set(row) for row in rows] == [{"month", "starts_at", "ends_at"}] * 3
    for row in rows:
        y, m = map(int, row["month"].split("-"))
        expected = window_by_oracle(y, m, ZoneInfo(zone_name), hour, minute, length)
        assert (datetime.fromisoformat(row["starts_at"]), datetime.fromisoformat(row["ends_at"])) == expected


def test_json_shows_local_offset_and_the_local_month():
    rows = json.loads(
        preview(
            "--timezone",
            "Pacific/Pago_Pago",
            "--start",
            "22:00",
            "--minutes",
            "60",
            "--from",
            "2026-01",
            "--months",
            "1",
            "--json",
        )
    )
    assert rows == [
        {"month": "2026-01", "starts_at": "2026-01-31T22:00:00-11:00", "ends_at": "2026-01-31T23:00:00-11:00"}
    ]


def test_table_shows_local_time_and_utc():
    text = preview(
        "--timezone", "Asia/Kathmandu", "--start", "22:00", "--minutes", "45", "--from", "2026-11", "--months", "1"
    )
    assert "2026-11" in text and "Sat 2026-11-28 22:00 +0545" in text and "2026-11-28 16:15–17:00" in text


@pytest.mark.django_db
def test_region_option_uses_the_regions_rule():
    rows = json.loads(preview("--region", "eu-frankfurt", "--from", "2026-03", "--months", "1", "--json"))
    assert rows == [
        {"month": "2026-03", "starts_at": "2026-03-28T22:00:00+01:00", "ends_at": "2026-03-28T23:00:00+01:00"}
    ]


BAD_INPUT = [
    (
        ["--timezone", "Mars/Olympus", "--start", "22:00", "--minutes", "60", "--from", "2026-01"],
        "is not an IANA time zone",
    ),
    (
        ["--timezone", "Europe/Berlin", "--start", "25:00", "--minutes", "60", "--from", "2026-01"],
        "is not a time of day",
    ),
    (["--timezone", "Europe/Berlin", "--start", "22:00", "--minutes", "61", "--from", "2026-01"], "1 to 60 minutes"),
    (["--timezone", "Europe/Berlin", "--start", "22:00", "--minutes", "abc", "--from", "2026-01"], "whole number"),
    (["--timezone", "Europe/Berlin", "--start", "22:00", "--minutes", "60", "--from", "2026-13"], "is not a month"),
    (
        ["--timezone", "Europe/Berlin", "--start", "22:00", "--minutes", "60", "--from", "2026-01", "--months", "0"],
        "--months must be from 1 to 1200",
    ),
    (
        ["--timezone", "Europe/Berlin", "--start", "22:00", "--from", "2026-01"],
        "Give --timezone, --start and --minutes",
    ),
    (["--region", "atlantis", "--from", "2026-01"], "There is no region 'atlantis'"),
    (["--region", "us", "--timezone", "UTC", "--from", "2026-01"], "not both"),
]


@pytest.mark.django_db
@pytest.mark.parametrize("args, message", BAD_INPUT)
def test_bad_input_is_refused_with_exit_2(args, message):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match=message) as info:
        preview(*args)
    assert info.value.returncode == 2


@pytest.mark.slow
def test_bad_input_from_the_shell_exits_2_with_one_sentence_and_no_traceback():
    result = shell.run(
        "manage.py",
        "preview_windows",
        "--timezone",
        "Mars/Olympus",
        "--start",
        "22:00",
        "--minutes",
        "60",
        "--from",
        "2026-01",
        DJANGO_SETTINGS_MODULE="tests.settings",
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "CommandError: 'Mars/Olympus' is not an IANA time zone, such as Europe/Berlin."
    ]
