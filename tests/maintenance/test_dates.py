"""A window's dates in each language's own words: "Samstag, 26. Dezember" in German, 2026年12月26日(土) in
Japanese; 24-hour times with the zone's abbreviation, also in a clock change's repeated hour."""

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.formats import get_format

from maintenance import dates
from maintenance.admin import display

BERLIN = ZoneInfo("Europe/Berlin")
# Frankfurt's December 2026 window: Saturday 26 December, 22:00 in Berlin.
WINDOW = datetime(2026, 12, 26, 21, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("language", "berlin", "utc"),
    [
        ("en", "Saturday, Dec. 26, 2026, 22:00 CET", "Saturday, Dec. 26, 2026, 21:00 UTC"),
        ("de", "Samstag, 26. Dezember 2026, 22:00 CET", "Samstag, 26. Dezember 2026, 21:00 UTC"),
        ("ja", "2026年12月26日(土) 22:00 CET", "2026年12月26日(土) 21:00 UTC"),
    ],
)
def test_an_instant_reads_naturally_in_each_language(language, berlin, utc):
    with translation.override(language):
        assert dates.instant(WINDOW, BERLIN) == berlin
        assert dates.instant(WINDOW, UTC) == utc
        assert dates.instant(WINDOW, ZoneInfo("UTC")) == utc


@pytest.mark.parametrize(
    ("language", "day", "month_day"),
    [
        ("en", "Saturday, Dec. 26, 2026", "Saturday, December 26"),
        ("de", "Samstag, 26. Dezember 2026", "Samstag, 26. Dezember"),
        ("ja", "2026年12月26日(土)", "12月26日(土)"),
    ],
)
def test_a_day_reads_naturally_in_each_language(language, day, month_day):
    with translation.override(language):
        assert dates.day(date(2026, 12, 26)) == day
        assert dates.month_day(WINDOW, BERLIN) == month_day
        # The local date, not UTC's: 23:30 UTC on Saturday is already Sunday in Tokyo.
        assert (
            dates.month_day(datetime(2026, 12, 26, 23, 30, tzinfo=UTC), ZoneInfo("Asia/Tokyo"))
            == {
                "en": "Sunday, December 27",
                "de": "Sonntag, 27. Dezember",
                "ja": "12月27日(日)",
            }[language]
        )


def test_the_repeated_hour_of_a_clock_change_keeps_its_zone():
    """02:30 happens twice in Berlin on 25 October 2026; the abbreviation tells the two apart."""
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    with translation.override("de"):
        assert dates.instant(first, BERLIN) == "Sonntag, 25. Oktober 2026, 02:30 CEST"
        assert dates.instant(second, BERLIN) == "Sonntag, 25. Oktober 2026, 02:30 CET"


def test_a_time_past_the_calendars_end_in_the_zone_is_shown_in_utc():
    with translation.override("ja"):
        assert dates.instant(datetime(9999, 12, 31, 22, 0, tzinfo=UTC), ZoneInfo("Asia/Tokyo")) == (
            "9999年12月31日(金) 22:00 UTC"
        )


def test_a_language_without_its_own_patterns_gets_the_english_ones():
    with translation.override("en-gb"):
        assert dates.instant(WINDOW, BERLIN) == "Saturday, Dec. 26, 2026, 22:00 CET"


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_each_other_language_names_every_pattern(language):
    for name in dates.ENGLISH:
        assert get_format(name, lang=language) != name, f"statuspage/formats/{language}/formats.py lacks {name}"


@pytest.mark.parametrize(("language", "weekday"), [("en", "Sat"), ("de", "Sa"), ("ja", "土")])
def test_the_admin_keeps_iso_dates_with_the_weekday_in_its_language(language, weekday):
    with translation.override(language):
        assert display.span(WINDOW, WINDOW.replace(hour=22), BERLIN) == f"{weekday} 2026-12-26 22:00–23:00 CET"


@pytest.mark.parametrize(
    ("language", "month"), [("en", "December 2026"), ("de", "Dezember 2026"), ("ja", "2026年12月")]
)
def test_a_month_reads_naturally_in_each_language(language, month):
    with translation.override(language):
        assert dates.month(date(2026, 12, 1)) == month
