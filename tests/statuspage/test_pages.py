"""/windows/<id>/, /history/ and the German catalogue."""

import gettext
import re
from datetime import timedelta
from pathlib import Path

from django.conf import settings

from maintenance import lifecycle
from maintenance.models import Window


def test_window_page_shows_times_status_history_and_summary(client, history):
    window = Window.objects.get(region__slug="eu-frankfurt", month="2026-12-01")
    window.release_summary = "Faster exports.\n\nNew CSV columns."
    window.save()
    lifecycle.announce(window, "anna", reason="Release 26.12")
    new_start = window.starts_at + timedelta(hours=1)
    lifecycle.reschedule(window, new_start, new_start + timedelta(minutes=30), "anna", reason="Longer migration")
    html = client.get(f"/windows/{window.pk}/").content.decode()
    assert "<h1>EU (Frankfurt): Monthly release</h1>" in html
    assert "Saturday, Dec. 26, 2026, 23:00 CET" in html and "Saturday, Dec. 26, 2026, 22:00 UTC" in html
    assert '<span class="tag t-scheduled" data-status="scheduled">Confirmed</span>' in html
    assert "<p>Faster exports.</p>" in html and "<p>New CSV columns.</p>" in html
    events = re.findall(r"<strong>(\w+)</strong>", html[html.index('id="history-heading"') :])
    assert events == ["Announced", "Rescheduled"]
    assert "Longer migration" in html and 'href="/feeds/eu-frankfurt.ics"' in html


def test_window_page_in_german(client, history):
    window = Window.objects.get(region__slug="japan", month="2026-10-01")
    html = client.get(f"/windows/{window.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "Monatliches Release" in html and "Statusverlauf" in html and "Abgeschlossen" in html
    assert "Samstag, 31. Oktober 2026, 22:00 JST" in html


def test_unknown_window_is_404(client, history):
    assert client.get("/windows/999999/").status_code == 404


def test_history_shows_one_month_per_page_with_links_to_older_and_newer(client, history):
    response = client.get("/history/")
    html = response.content.decode()
    assert response.status_code == 200 and "History: November 2026" in html
    assert 'href="?month=2026-10"' in html and "Newer month" not in html
    october = client.get("/history/", {"month": "2026-10"}).content.decode()
    assert len(re.findall(r'<tr><th scope="row">', october)) == 7
    assert "Slow logins" in october
    assert 'href="?month=2026-11"' in october and 'href="?month=2026-09"' in october
    august = client.get("/history/", {"month": "2026-08"}).content.decode()
    assert "Older month" not in august  # the first month with anything in it
    assert len(re.findall(r'<tr><th scope="row">', august)) == 7


def test_history_has_a_labelled_month_picker(client, history):
    html = client.get("/history/").content.decode()
    assert '<label for="month-input">Month</label>' in html and 'id="month-input" type="month"' in html


def test_history_malformed_month_is_400_with_a_message(client, history):
    for bad in ["2026-13", "november", "2026-1x", "9999999-01"]:
        response = client.get("/history/", {"month": bad})
        assert response.status_code == 400, bad
        assert "The month must look like 2026-11" in response.content.decode()


def test_history_month_outside_the_record_is_404(client, history):
    assert client.get("/history/", {"month": "2027-01"}).status_code == 404
    assert client.get("/history/", {"month": "2019-01"}).status_code == 404


def test_german_catalogue_is_complete_and_compiled():
    folder = Path(settings.BASE_DIR) / "locale" / "de" / "LC_MESSAGES"
    po = (folder / "django.po").read_text()
    assert not re.search(r'^msgstr ""\n\n', po.split("\n\n", 1)[1], re.M), "an untranslated string"
    assert "#, fuzzy" not in po
    with open(folder / "django.mo", "rb") as handle:
        catalogue = gettext.GNUTranslations(handle)
    singular = re.findall(r'^msgid "(.+)"$', po, re.M)
    for msgid in singular:
        if msgid.endswith(" "):
            continue  # a wrapped message: its first line only
        msgid = msgid.replace('\\"', '"')
        assert msgid in catalogue._catalog or (msgid, 0) in catalogue._catalog, msgid  # compiled from this .po


def test_window_page_shows_the_summary_in_the_visitors_language_with_english_as_fallback(client, history):
    window = Window.objects.get(region__slug="eu-frankfurt", month="2026-12-01")
    window.release_summary = "Faster exports."
    window.release_summary_translations = {"de": "Schnellere Exporte."}
    window.save()
    german = client.get(f"/windows/{window.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    english = client.get(f"/windows/{window.pk}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<p>Schnellere Exporte.</p>" in german and "Faster exports." not in german
    assert "<p>Faster exports.</p>" in english and "Schnellere" not in english
    untranslated = Window.objects.get(region__slug="japan", month="2026-12-01")
    untranslated.release_summary = "Faster search."
    untranslated.save()
    page = client.get(f"/windows/{untranslated.pk}/", HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "<p>Faster search.</p>" in page
