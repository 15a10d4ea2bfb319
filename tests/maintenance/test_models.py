from datetime import time

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError

from maintenance.models import Region


def region(**overrides):
    fields = {
        "slug": "test",
        "name": "Test",
        "timezone": "Europe/Berlin",
        "offpeak_start": time(22),
        "window_minutes": 60,
    }
    return Region(**{**fields, **overrides})


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe/berlin", "", "UTC+2"])
def test_region_refuses_a_zone_zoneinfo_does_not_know(zone):
    with pytest.raises(ValidationError) as info:
        region(timezone=zone).full_clean()
    assert "timezone" in info.value.message_dict


@pytest.mark.django_db
@pytest.mark.parametrize("minutes", [0, 61, 600])
def test_region_window_length_is_1_to_60_minutes(minutes):
    with pytest.raises(ValidationError) as info:
        region(window_minutes=minutes).full_clean()
    assert "window_minutes" in info.value.message_dict


@pytest.mark.django_db
def test_database_refuses_a_window_longer_than_an_hour():
    with pytest.raises(IntegrityError):
        region(window_minutes=61).save()


@pytest.mark.django_db
def test_valid_region_passes():
    region(window_minutes=1).full_clean()
    region(window_minutes=60, timezone="Asia/Kathmandu").full_clean()
