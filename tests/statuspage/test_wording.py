"""The status page's fast date wording says exactly what the template filters say, in every language."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.utils import translation

from statuspage.templatetags.offpeak import day, in_utc, in_zone, when
from statuspage.wording import Words

ZONES = ["UTC", "Asia/Tokyo", "America/New_York", "Asia/Kolkata", "Australia/Sydney", "Europe/Dublin"]
INSTANTS = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(days=37 * n, hours=5 * n, minutes=13 * n) for n in range(10)]


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES])
def test_words_say_what_the_filters_say(language):
    with translation.override(language):
        words = Words()
        for zone_name in ZONES:
            zone = ZoneInfo(zone_name)
            for instant in INSTANTS:
                assert words.when(instant, zone) == in_zone(instant, zone_name) == when(instant, zone)
                assert words.utc(instant) == in_utc(instant)
        assert words.day(date(2026, 11, 28)) == day(date(2026, 11, 28))


def test_a_time_past_the_calendars_end_in_a_zone_is_said_in_utc_as_the_filter_does():
    last = datetime(9999, 12, 31, 22, 0, tzinfo=UTC)
    assert Words().when(last, ZoneInfo("Asia/Tokyo")) == in_zone(last, "Asia/Tokyo")


def test_an_incident_within_one_utc_day_says_its_date_once():
    with translation.override("en"):  # a test client's request in another language leaves that one active
        words = Words()
        start = datetime(2026, 11, 8, 18, 0, tzinfo=UTC)
        assert words.utc_span(start, start + timedelta(hours=1)) == "Sunday, Nov. 8, 2026, 18:00–19:00 UTC"
        assert words.utc_span(start, start + timedelta(hours=7)) == (
            "Sunday, Nov. 8, 2026, 18:00 UTC – Monday, Nov. 9, 2026, 01:00 UTC"
        )
        assert words.utc_span(start, None) == "Sunday, Nov. 8, 2026, 18:00 UTC"


def test_a_month_is_named_in_the_active_language():
    with translation.override("de"):
        assert Words().month(date(2026, 3, 5)) == "März"
