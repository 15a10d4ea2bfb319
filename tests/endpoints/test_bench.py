"""The endpoint bench's figures, as another bench reads them through ``measure``."""

import pytest

from bench.endpoint_fanout import measure

pytestmark = pytest.mark.slow


def test_measure_returns_every_rate_and_count_of_a_run_in_a_process_of_its_own():
    figures = measure(n=30, channels=2, workers=0, env={"DATABASE_URL": ""})
    assert figures["ok"] is True
    assert figures["database"] == "sqlite"
    assert {name: figures["webhook"][name] for name in ("rows", "sent", "received")} == dict.fromkeys(
        ("rows", "sent", "received"), 60
    )  # the incident and its component update to each subscription
    assert {name: figures["apprise"][name] for name in ("rows", "sent", "received")} == dict.fromkeys(
        ("rows", "sent", "received"), 2
    )
    for kind in ("webhook", "apprise"):
        assert figures[kind]["per_second"] > 0
        assert 0 < figures[kind]["first_after"] <= figures[kind]["last_after"] <= figures["seconds"]
    assert figures["signatures"]["verified"] == figures["signatures"]["sampled"] == 12
    assert figures["cpu_seconds"]["bench"] > 0 and figures["cpu_seconds"]["workers"] is None
    assert figures["peak_rss_mb"]["bench"] > 0
