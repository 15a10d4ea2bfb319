"""Every public page and every email kind, rendered in English, German and Japanese: the German and Japanese ones
show no English sentence, neither one from the catalogues (a message left untranslated) nor one the English page
shows too (a string never marked for translation).

The site's data stays as written (region names, a window's title, an incident's title), so the data here is
chosen to hold no English sentence.
"""

import html
import re
from datetime import timedelta

import pytest
from django.urls import reverse

from maintenance import incidents, lifecycle, planning
from maintenance.models import Incident, Window
from notifications import tokens
from notifications.emails import KINDS, build_message
from notifications.models import Delivery, Subscriber
from tests.conftest import NOW
from tests.i18n import catalogues

LANGUAGES = ["en", *catalogues.languages()]
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_]+\}|%%")
# Words that make a run of Latin words an English sentence rather than a name, an address or a code.
ENGLISH = set("a an and are at be by for from in is it no not of on or the this to was we will with you your".split())
SUMMARY = {
    "en": "Faster exports and a new report.",
    "de": "Schnellere Exporte und ein neuer Bericht.",
    "ja": "エクスポートの高速化と新しいレポート。",
}
SHOWN_ATTRIBUTES = re.compile(
    r'\s(?:title|aria-label|alt|placeholder|content|data-before|data-during|data-after)="([^"]*)"'
)


def readable(markup):
    """What a reader meets: each text run and each shown attribute value on its own line, entities decoded."""
    parts = re.split(r"<[^>]+>|\n", re.sub(r"<(script|style)\b.*?</\1>", " ", markup, flags=re.S))
    parts += SHOWN_ATTRIBUTES.findall(markup)
    return [" ".join(html.unescape(part).split()) for part in parts if part.strip()]


def english_fragments(language):
    """The English words between the placeholders of every message, where they are a phrase of two words or more
    and are not part of some translation too (as "API" or "UTC" are)."""
    held = catalogues.entries(language)
    translations = " ".join(
        " ".join(entry.msgstr_plural.values()) if entry.msgid_plural else entry.msgstr for entry, _path in held.values()
    )
    fragments = {}
    for message, (entry, _path) in held.items():
        for text in (entry.msgid, entry.msgid_plural):
            for piece in PLACEHOLDER.split(text or ""):
                piece = " ".join(piece.split()).strip(" .,:;()–-“”\"'?")
                if len(re.findall(r"[A-Za-z]{2,}", piece)) >= 2 and piece not in translations:
                    fragments.setdefault(piece, message)
    return fragments


def sentence_like(line):
    words = re.findall(r"[A-Za-z]+", line)
    return len(words) >= 3 and any(word.lower() in ENGLISH for word in words)


@pytest.fixture
def site(regions, clock):
    """Two months planned; Frankfurt's November window announced with a summary in each language; an incident
    resolved in the last 90 days and one open in Singapore; one subscriber per language."""
    planning.plan(NOW, 2)
    window = Window.objects.get(region=regions["eu-frankfurt"], month="2026-11-01")
    window.title = "Release 2026.11"
    window.release_summary = SUMMARY["en"]
    window.release_summary_translations = {code: SUMMARY[code] for code in LANGUAGES if code != "en"}
    window.save()
    lifecycle.announce(window, now=NOW)
    past = incidents.open_incident(
        "API 503", [regions["japan"]], Incident.Impact.MAJOR, "API 503", started_at=NOW - timedelta(days=9), now=NOW
    )
    incidents.resolve(past, "OK", resolved_at=NOW - timedelta(days=9) + timedelta(minutes=40), now=NOW)
    incidents.open_incident("CDN 502", [regions["singapore"]], Incident.Impact.MINOR, "CDN 502", now=NOW)
    people = {}
    for code in LANGUAGES:
        person = Subscriber.objects.create(
            email=f"reader-{code}@example.com", language=code, created_at=NOW, state=Subscriber.State.PENDING
        )
        person.regions.set([regions["eu-frankfurt"]])
        people[code] = person
    return {"window": Window.objects.get(pk=window.pk), "people": people}


def pages(client, site, language):
    """{name: html} of every public page in ``language``: the visitor's pages by Accept-Language, the
    subscription pages by the subscriber's language."""
    header = {"HTTP_ACCEPT_LANGUAGE": language}
    window = site["window"]
    person = site["people"][language]
    confirm = reverse("notifications:confirm", args=[tokens.make(tokens.CONFIRM, person.key)])
    manage = reverse("notifications:manage", args=[tokens.make(tokens.MANAGE, person.key)])
    unsubscribe = reverse("notifications:unsubscribe", args=[tokens.make(tokens.UNSUBSCRIBE, person.key)])
    new = {"email": f"new-{language}@example.com"}
    requests = {
        "status": ("get", "/", {}, 200),
        "window": ("get", f"/windows/{window.pk}/", {}, 200),
        "history": ("get", "/history/", {}, 200),
        "history, bad month": ("get", "/history/", {"month": "11/2026"}, 400),
        "sla": ("get", "/sla/", {}, 200),
        "subscribe": ("get", "/subscribe/", {"region": "japan"}, 200),
        "subscribe, bad input": ("post", "/subscribe/", {"email": "no-at-sign", "language": language}, 400),
        "subscribe, sent": ("post", "/subscribe/", {**new, "regions": ["japan"], "language": language}, 200),
        "confirm": ("get", confirm, {}, 200),
        "confirmed": ("post", confirm, {}, 200),
        "manage": ("get", manage, {}, 200),
        "manage, saved": ("get", manage, {"saved": "1"}, 200),
        "unsubscribe": ("get", unsubscribe, {}, 200),
        "unsubscribed": ("post", unsubscribe, {}, 200),
        "bad link": ("get", "/subscription/manage/nonsense/", {}, 400),
        "atom": ("get", "/feeds/maintenance.atom", {}, 200),
        "rss": ("get", "/feeds/maintenance.rss", {}, 200),
        "deleted": ("post", manage, {"action": "delete"}, 200),
    }
    rendered = {}
    for name, (method, path, data, status) in requests.items():
        response = getattr(client, method)(path, data, **header)
        assert response.status_code == status, (name, response.status_code)
        rendered[name] = response.content.decode()
    return rendered


def emails(site, clock):
    """{language: {kind: subject, text and HTML}} of every email kind for a subscriber in each language, each kind
    built once its event has happened, so that a reschedule shows the old times and a completion its end."""
    window = site["window"]
    rendered = {language: {} for language in LANGUAGES}

    def build(kind, target=None, lead=0):
        for language, person in site["people"].items():
            sequence = target.sequence if target is not None else 1
            row = Delivery.objects.create(
                window=target, subscriber=person, kind=kind, sequence=sequence, lead_minutes=lead, created_at=NOW
            )
            message = build_message(row)
            rendered[language][kind] = "\n".join([message.subject, message.body, message.alternatives[0][0]])

    build("confirm")
    build("already_subscribed")
    build("announcement", window)
    build("reminder", window, lead=24 * 60)
    lifecycle.reschedule(window, window.starts_at + timedelta(hours=1), window.ends_at + timedelta(hours=1), now=NOW)
    window.refresh_from_db()
    build("rescheduled", window)
    clock.move_to(window.starts_at)
    lifecycle.start(window, now=window.starts_at)
    window.refresh_from_db()
    build("started", window)
    lifecycle.extend(window, minutes=15, now=window.starts_at + timedelta(minutes=30))
    window.refresh_from_db()
    build("extended", window)
    lifecycle.complete(window, now=window.ends_at)
    window.refresh_from_db()
    build("completed", window)
    other = Window.objects.get(region__slug="japan", month="2026-12-01")
    lifecycle.announce(other, now=window.ends_at)
    lifecycle.cancel(other, now=window.ends_at)
    other.refresh_from_db()
    build("cancelled", other)
    assert all(sorted(kinds) == sorted(KINDS) for kinds in rendered.values())
    return rendered


def untranslated(text, language):
    fragments = english_fragments(language)
    flat = " ".join(html.unescape(text).split())
    return sorted(
        {
            f"{fragment!r} (from {catalogues.describe(message)})"
            for fragment, message in fragments.items()
            if fragment in flat
        }
    )


def problems(english, translated, language):
    """{name: [what is wrong]} of the texts in ``translated`` that show an English sentence."""
    found = {}
    for name, text in translated.items():
        left = untranslated(text, language)
        unmarked = sorted({line for line in readable(text) if sentence_like(line)} & set(readable(english[name])))
        if left or unmarked:
            found[name] = left + [f"{line!r} (not marked for translation)" for line in unmarked]
    return found


def report(found):
    return "\n".join(f"  {name}: {line}" for name, lines in found.items() for line in lines)


@pytest.mark.parametrize("language", catalogues.languages())
def test_no_page_shows_an_english_sentence(client, site, language):
    english = pages(client, site, "en")
    translated = pages(client, site, language)
    assert english.keys() == translated.keys()
    found = problems(english, translated, language)
    assert not found, f"English on the {language} pages:\n{report(found)}"
    # The check can fail: the English pages do show the catalogues' sentences.
    assert sum(len(untranslated(text, language)) for text in english.values()) > 100


@pytest.mark.parametrize("language", catalogues.languages())
def test_no_email_kind_shows_an_english_sentence(site, clock, language):
    written = emails(site, clock)
    found = problems(written["en"], written[language], language)
    assert not found, f"English in the {language} emails:\n{report(found)}"
    assert sum(len(untranslated(text, language)) for text in written["en"].values()) > 30
