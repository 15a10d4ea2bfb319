"""The subscribe form: a searchable list of time zones, the region's zone without JavaScript, errors tied to their
fields."""

import re
import zoneinfo

import pytest


@pytest.fixture
def form_page(client, regions):
    def get(query=""):
        response = client.get("/subscribe/" + query)
        assert response.status_code == 200
        return response.content.decode()

    return get


def test_the_time_zone_is_a_searchable_list_of_every_iana_zone(form_page):
    html = form_page()
    field = re.search(r'<input type="text" name="timezone"[^>]*>', html)[0]
    assert 'list="timezone-list"' in field and 'value=""' in field and "data-browser-zone" in field
    datalist = re.search(r'<datalist id="timezone-list">(.*?)</datalist>', html, re.S)[1]
    offered = re.findall(r'<option value="([^"]+)">', datalist)
    assert offered == sorted(offered)
    assert {"Europe/Berlin", "Asia/Tokyo", "America/Argentina/Buenos_Aires", "UTC"} <= set(offered)
    assert len(offered) > 400 and set(offered) <= zoneinfo.available_timezones()
    # The browser's zone comes from a static script: the CSP allows no inline script.
    assert '<script src="/static/offpeak/subscribe.js" defer></script>' in html
    assert "<script>" not in html


def test_a_region_in_the_address_ticks_it_and_offers_its_zone(form_page):
    html = form_page("?region=japan")
    assert re.search(r'<input type="text" name="timezone"[^>]*value="Asia/Tokyo"', html)
    assert re.search(r'<input type="checkbox" name="regions" value="japan"[^>]*checked', html)
    assert re.search(r'<input type="text" name="timezone"[^>]*value=""', form_page("?region=atlantis"))


def test_errors_sit_next_to_their_fields_and_are_named_by_them(client, regions):
    response = client.post("/subscribe/", {"email": "nobody", "timezone": "MEZ", "language": "en"})
    assert response.status_code == 400
    html = response.content.decode()
    zone = re.search(r'<input type="text" name="timezone"[^>]*>', html)[0]
    assert 'aria-invalid="true"' in zone and 'aria-describedby="id_timezone-error id_timezone-help"' in zone
    message = "MEZ is not an IANA time zone, such as Europe/Berlin."
    assert f'<span class="error" id="id_timezone-error">{message}</span>' in html
    email = re.search(r'<input type="email"[^>]*>', html)[0]
    assert 'aria-invalid="true" aria-describedby="id_email-error"' in email
    assert html.index('id="id_email-error"') < html.index("<fieldset")  # right after its field, not at the top
    assert '<fieldset aria-describedby="id_regions-error" class="invalid">' in html
    assert '<p class="error" id="id_regions-error">Choose at least one region.</p>' in html
    assert re.search(r'<input type="text" name="timezone"[^>]*value="MEZ"', html)  # kept to correct
