"""Every language the site offers has every message translated, in catalogues that match the code and are compiled.

After a change to translatable strings (CONTRIBUTING.md, "Translations"): makemessages, translate what these tests
name, compilemessages. Each failure lists the exact messages and what to run.
"""

import re

import polib
import pytest

from tests.i18n import catalogues

LANGUAGES = catalogues.languages()
PLACEHOLDER = re.compile(r"%\([a-z_]+\)[sdr]|%[sdr]|\{[a-z_]+\}")
MAKEMESSAGES = (
    "DEBUG=1 .venv/bin/python manage.py makemessages "
    + " ".join(f"-l {language}" for language in LANGUAGES)
    + " --no-location --no-obsolete --ignore=node_modules --ignore=staticfiles --ignore=var"
)
COMPILEMESSAGES = (
    "DEBUG=1 .venv/bin/python manage.py compilemessages "
    + " ".join(f"-l {language}" for language in LANGUAGES)
    + " --ignore=.venv --ignore=node_modules"
)


def listing(messages):
    return "\n  ".join(sorted(messages))


def test_the_site_offers_english_german_and_japanese():
    assert LANGUAGES == ["de", "ja"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_folder_has_the_language_compiled(language):
    missing = [str(path) for path in catalogues.po_files(language) if not path.exists()]
    assert not missing, f"no {language} catalogue in {missing}: run\n{MAKEMESSAGES}"
    stale = [
        str(path)
        for path in catalogues.po_files(language)
        if not path.with_suffix(".mo").exists() or path.with_suffix(".mo").stat().st_size == 0
    ]
    assert not stale, f"not compiled: {stale}: run\n{COMPILEMESSAGES}"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_catalogues_hold_every_message_the_code_marks(language):
    marked = catalogues.marked_messages()
    held = catalogues.entries(language)
    missing = [f"{catalogues.describe(message)} from {marked[message]}" for message in set(marked) - set(held)]
    assert not missing, (
        f"{len(missing)} marked messages are not in the {language} catalogues:\n  {listing(missing)}\n"
        f"run\n{MAKEMESSAGES}"
    )
    dropped = [f"{catalogues.describe(message)} in {held[message][1]}" for message in set(held) - set(marked)]
    assert not dropped, (
        f"{len(dropped)} {language} messages are no longer in the code:\n  {listing(dropped)}\nrun\n{MAKEMESSAGES}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    missing = []
    for message, (entry, path) in catalogues.entries(language).items():
        if "fuzzy" in entry.flags:
            missing.append(f"{catalogues.describe(message)} is fuzzy in {path}")
        elif not entry.translated():
            missing.append(f"{catalogues.describe(message)} has no translation in {path}")
    assert not missing, (
        f"{len(missing)} {language} messages need a translation (write the msgstr, remove '#, fuzzy'):\n  "
        f"{listing(missing)}\nthen run\n{COMPILEMESSAGES}"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_translations_keep_the_placeholders(language):
    wrong = []
    for message, (entry, path) in catalogues.entries(language).items():
        if entry.msgid_plural:
            allowed = sorted(PLACEHOLDER.findall(entry.msgid) + PLACEHOLDER.findall(entry.msgid_plural))
            for text in entry.msgstr_plural.values():
                if text and not set(PLACEHOLDER.findall(text)) <= set(allowed):
                    wrong.append(f"{catalogues.describe(message)} -> {text!r} in {path}")
        elif entry.msgstr and sorted(PLACEHOLDER.findall(entry.msgstr)) != sorted(PLACEHOLDER.findall(entry.msgid)):
            wrong.append(f"{catalogues.describe(message)} -> {entry.msgstr!r} in {path}")
    assert not wrong, f"translations whose placeholders differ from the message's:\n  {listing(wrong)}"


def compiled(entry):
    return tuple(sorted(entry.msgstr_plural.items())) if entry.msgid_plural else entry.msgstr


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_compiled_catalogues_match_their_sources(language):
    stale = []
    for path in catalogues.po_files(language):
        source = {catalogues.key(e): compiled(e) for e in polib.pofile(str(path)) if e.msgid and e.translated()}
        binary = {catalogues.key(e): compiled(e) for e in polib.mofile(str(path.with_suffix(".mo"))) if e.msgid}
        if source != binary:
            stale.append(str(path.with_suffix(".mo")))
    assert not stale, f"compiled catalogues older than their .po: {stale}: run\n{COMPILEMESSAGES}"
