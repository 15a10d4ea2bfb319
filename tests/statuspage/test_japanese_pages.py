"""The public pages in Japanese, chosen by Accept-Language or by the language switcher, with Japanese dates."""

import pytest

from maintenance import lifecycle, planning
from maintenance.models import Window
from tests.conftest import NOW


@pytest.fixture
def december(regions, clock):
    planning.plan(NOW, 2)
    window = Window.objects.get(region=regions["eu-frankfurt"], month="2026-12-01")
    lifecycle.announce(window, now=NOW)
    return window


def test_accept_language_ja_gives_the_pages_in_japanese_with_japanese_dates(client, december):
    page = client.get(f"/windows/{december.pk}/", HTTP_ACCEPT_LANGUAGE="ja,en;q=0.5")
    html = page.content.decode()
    assert page["Content-Language"] == "ja"
    assert '<html lang="ja">' in html and "ステータスの履歴" in html
    assert "2026年12月26日(土) 22:00 CET" in html and "2026年12月26日(土) 21:00 UTC" in html
    status = client.get("/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert "システムステータス" in status and "次回のメンテナンス" in status


def test_the_switcher_chooses_japanese_and_the_cached_page_stays_per_language(client, december):
    assert "Next window" in client.get("/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "ja", "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    html = client.get("/").content.decode()
    assert '<html lang="ja">' in html and "次回のメンテナンス" in html
    assert '<option value="ja" lang="ja" selected>日本語</option>' in html
    client.post("/i18n/setlang/", {"language": "de", "next": "/"})
    assert "Nächstes Wartungsfenster" in client.get("/").content.decode()


@pytest.mark.parametrize(
    ("language", "heading"),
    [("en", "History: November 2026"), ("de", "Verlauf: November 2026"), ("ja", "履歴: 2026年11月")],
)
def test_the_history_month_reads_naturally(client, december, language, heading):
    html = client.get("/history/", {"month": "2026-11"}, HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert f"<h1>{heading}</h1>" in html and f"<title>{heading} – Offpeak</title>" in html
