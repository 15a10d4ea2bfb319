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


@pytest.mark.slow  # twenty full renders; run with -s to see the figure
def test_cold_render_cpu_stays_a_fraction_of_what_it_was(client, page_data):
    figures = cold_render_ms(client)
    median = median_ms(figures)
    size = len(client.get("/").content)
    print(f"\ncold render of /: median {median:.1f} ms CPU of {len(figures)}, {size} bytes")
    # A guard against falling back to the old cost (about 100-240 ms), with room for a busy test machine.
    assert median < 100
