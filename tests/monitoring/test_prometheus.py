"""A real Prometheus scrapes a live Offpeak's /metrics with the documented alert rules loaded."""

import pytest

from maintenance import incidents
from maintenance.models import Region
from tests.monitoring.servers import Prometheus, runnable, wait_for

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def prometheus(tmp_path):
    server = Prometheus(tmp_path, runnable("prometheus"))
    yield server
    server.stop()


def test_prometheus_scrapes_metrics_and_answers_a_query_over_its_api(live_server, prometheus, settings):
    settings.METRICS_TOKEN = "scrape-token"
    incidents.open_incident("Slow", [Region.objects.get(slug="japan")], "minor", "Looking.")
    prometheus.start_with(live_server.url.split("://", 1)[1], "scrape-token")

    def degraded_japan():
        return prometheus.query('offpeak_region_state{region="japan",state="degraded_performance"}')

    result = wait_for(degraded_japan, 60, "a scrape of offpeak_region_state", prometheus)
    assert [(series["metric"]["job"], series["value"][1]) for series in result] == [("offpeak", "1")]
    assert prometheus.query('offpeak_incidents_open{impact="minor"}')[0]["value"][1] == "1"
    assert prometheus.query('up{job="offpeak"}')[0]["value"][1] == "1"
    rules = prometheus.rule_groups()
    assert sorted(rule["name"] for group in rules for rule in group["rules"]) == [
        "OffpeakDeliveriesFailing",
        "OffpeakOutboxStuck",
        "OffpeakWindowOverrunning",
    ]
