"""What an uncached status page costs: its size and the CPU of one render, with the data its goals are stated for."""


import pytest

from tests.conftest import NOW
from tests.statuspage.page_cost import cold_render_ms, load_page_data, median_ms


@pytest.fixture
def page_data(regions, clock):
    load_page_data(NOW)


def test_home_page_is_under_40_kb_with_50_incidents(client, page_data):
    html = client.get("/").content
    assert len(html) < 40_000, len(html)


@pytest.mark.slow
def test_cold_render_cpu(client, page_data):
    figures = cold_render_ms(client)
    median = median_ms(figures)
    size = len(client.get("/").content)
    print(f"\ncold render of /: median {median:.1f} ms CPU of {len(figures)}, {size} bytes")
    assert median < 1000
