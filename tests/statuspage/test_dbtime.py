"""The quick timestamptz loader reads exactly what Django's loader reads, and hands anything unusual to it."""

from datetime import UTC, datetime

import psycopg
import pytest
from django.db.backends.postgresql.psycopg_any import register_tzloader
from psycopg.adapt import AdaptersMap
from psycopg.postgres import types
from psycopg.pq import Format

from statuspage.dbtime import TIMESTAMPTZ, quick_loader


@pytest.fixture
def loaders():
    adapters = AdaptersMap(psycopg.adapters)
    register_tzloader(UTC, adapters)
    oid = types[TIMESTAMPTZ].oid
    base = adapters.get_loader(oid, Format.TEXT)
    return base(oid, adapters), quick_loader(base)(oid, adapters)


@pytest.mark.parametrize(
    "text",
    [
        b"2026-12-26 21:00:00+00",
        b"2026-12-26 21:00:00.25+00",
        b"2026-12-26 21:00:00.000001+00",
        b"2026-03-29 01:59:59.999999+00",
        b"0999-01-01 00:00:00+00",
        b"2026-12-26 22:00:00+01",
    ],
)
def test_reads_what_djangos_loader_reads(loaders, text):
    django_loader, quick = loaders
    expected = django_loader.load(text)
    got = quick.load(memoryview(text))
    assert got == expected
    assert got.tzinfo is expected.tzinfo


@pytest.mark.parametrize("text", [b"2026-12-26 21:00:00+00 BC", b"12026-12-26 21:00:00+00", b"infinity"])
def test_what_python_cannot_hold_fails_as_with_djangos_loader(loaders, text):
    django_loader, quick = loaders
    with pytest.raises(psycopg.DataError) as expected:
        django_loader.load(text)
    with pytest.raises(psycopg.DataError) as got:
        quick.load(text)
    assert str(got.value) == str(expected.value)


def test_a_utc_timestamp_takes_the_quick_path(loaders, monkeypatch):
    _django_loader, quick = loaders
    monkeypatch.setattr(type(quick).__mro__[1], "load", lambda self, data: pytest.fail("went to Django's loader"))
    assert quick.load(b"2026-12-26 21:00:00.5+00") == datetime(2026, 12, 26, 21, 0, 0, 500000, tzinfo=UTC)
