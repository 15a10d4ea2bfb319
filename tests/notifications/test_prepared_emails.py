"""A fan-out's messages (one MIME template per group, filled in per recipient) are byte for byte the plain build."""

import email
import random
import re
import string
from datetime import timedelta
from email import policy
from email.policy import compat32

import pytest
import time_machine
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.utils.crypto import salted_hmac

from maintenance import lifecycle
from notifications import mime, tokens
from notifications.emails import RenderCache, build_message, message_ids
from notifications.models import Delivery
from notifications.tasks import schedule_due
from tests.conftest import NOW

SENT_AT = NOW.replace(hour=12, minute=30, second=7)
BOUNDARY = re.compile(rb"={15}\d{19}==")

PEOPLE = [
    # (address, language, zone)
    ("ada@example.com", "en", ""),
    ("max@example.de", "de", "America/Chicago"),
    ("zoë.müller@bücher.example", "de", "Asia/Tokyo"),
    ("jürgen@例え.jp", "en", "Asia/Tokyo"),
    ("kenji@example.jp", "ja", "Asia/Tokyo"),
]


@pytest.fixture
def announced(window):
    window.title = "Release 12 — Straße & <Ünïcode>"
    window.release_summary = "Faster exports & a new <b>report</b>.\nZeile zwei: Größe ändern."
    window.save()
    lifecycle.announce(window, now=NOW)
    window.refresh_from_db()
    return window


def row(window, subscriber, kind="announcement", sequence=None, lead=0):
    return Delivery.objects.create(
        window=window,
        subscriber=subscriber,
        kind=kind,
        sequence=window.sequence if sequence is None else sequence,
        lead_minutes=lead,
        created_at=NOW,
    )


def normalized(data):
    """The bytes with each MIME boundary (random per message) replaced by its order of first appearance."""
    seen = {}
    return BOUNDARY.sub(lambda match: b"BOUNDARY-%d" % seen.setdefault(match.group(0), len(seen)), data)


def both(delivery, linesep="\n"):
    """(plain bytes, fast bytes, fast message) for one row, built at the same instant."""
    with time_machine.travel(SENT_AT, tick=False):
        plain = build_message(delivery).message().as_bytes(linesep=linesep)
        fast = build_message(delivery, RenderCache.for_worker())
        return plain, fast.message().as_bytes(linesep=linesep), fast


@pytest.mark.parametrize("linesep", ["\n", "\r\n"])
@pytest.mark.parametrize(
    "kind", ["announcement", "reminder", "rescheduled", "cancelled", "started", "extended", "completed"]
)
def test_fast_messages_are_the_plain_build_byte_for_byte(announced, make_subscriber, kind, linesep):
    if kind == "rescheduled":
        hour = timedelta(hours=1)
        lifecycle.reschedule(announced, announced.starts_at + hour, announced.ends_at + hour, now=NOW)
    elif kind == "cancelled":
        lifecycle.cancel(announced, now=NOW)
    elif kind in ("started", "completed"):
        lifecycle.start(announced, now=announced.starts_at)
        if kind == "extended":
            lifecycle.extend(announced, minutes=30, now=announced.starts_at)
        if kind == "completed":
            lifecycle.complete(announced, now=announced.ends_at)
    announced.refresh_from_db()
    for address, language, zone in PEOPLE:
        person = make_subscriber(address, language=language, timezone=zone)
        delivery = row(announced, person, kind, lead=1440 if kind == "reminder" else 0)
        delivery = Delivery.objects.select_related("subscriber", "window__region").get(pk=delivery.pk)
        plain, fast, message = both(delivery, linesep)
        assert isinstance(message.message(), mime.PreparedMIME)  # the template path, not the fallback
        assert normalized(fast) == normalized(plain)
        assert len(set(BOUNDARY.findall(fast))) == 2  # two fresh boundaries of the generator's form


def test_fast_messages_parse_to_the_recipients_own_headers_texts_and_working_links(announced, make_subscriber):
    cache = RenderCache.for_worker()
    for address, language, zone in PEOPLE:
        person = make_subscriber(address, language=language, timezone=zone)
        delivery = row(announced, person)
        with time_machine.travel(SENT_AT, tick=False):
            plain = email.message_from_bytes(build_message(delivery).message().as_bytes(), policy=policy.default)
            fast = email.message_from_bytes(build_message(delivery, cache).message().as_bytes(), policy=policy.default)
        for name in ("Subject", "From", "To", "Date", "Message-ID", "References", "In-Reply-To", "List-Unsubscribe"):
            assert str(fast[name]) == str(plain[name]), name
        assert fast["To"].addresses[0].domain == plain["To"].addresses[0].domain
        text = fast.get_body(("plain",)).get_content()
        html = fast.get_body(("html",)).get_content()
        assert text == plain.get_body(("plain",)).get_content()
        assert html == plain.get_body(("html",)).get_content()
        assert "Straße &amp; &lt;Ünïcode&gt;" in html and "Straße & <Ünïcode>" in text
        unsubscribe = str(fast["List-Unsubscribe"]).strip()[1:-1]
        manage = re.search(r"/subscription/manage/([^/\s\"]+)/", text).group(1)
        assert unsubscribe in text and unsubscribe in html and f"/subscription/manage/{manage}/" in html
        token = unsubscribe.rstrip("/").rsplit("/", 1)[1]
        assert tokens.read(tokens.UNSUBSCRIBE, token) == person.key
        assert tokens.read(tokens.MANAGE, manage) == person.key
        [attachment] = list(fast.iter_attachments())
        [plain_attachment] = list(plain.iter_attachments())
        assert attachment.get_content() == plain_attachment.get_content()
    assert len(cache.groups) == 5  # (language, zone) pairs: one render each


def test_every_recipient_gets_their_own_links_and_ids(announced, make_subscriber):
    cache = RenderCache.for_worker()
    people = [make_subscriber(f"p{n}@example.com") for n in range(20)]
    seen = set()
    for person in people:
        mime_message = email.message_from_bytes(build_message(row(announced, person), cache).message().as_bytes())
        unsubscribe = mime_message["List-Unsubscribe"].strip()
        assert mime_message["To"] == person.email
        assert unsubscribe[1:-1] in mime_message.get_payload(0).get_payload(0).get_payload()
        seen.add((mime_message["Message-ID"], unsubscribe))
    assert len(cache.groups) == 1 and len(seen) == 20


def test_a_long_line_that_django_would_encode_is_built_the_plain_way(announced, make_subscriber):
    announced.release_summary = "x" * 1200  # longer than RFC 5322's 998: Django sends the part quoted-printable
    announced.save()
    delivery = row(announced, make_subscriber())
    plain, fast, message = both(delivery)
    assert not isinstance(message.message(), mime.PreparedMIME)
    assert b"quoted-printable" in fast
    assert normalized(fast) == normalized(plain)


def test_a_line_that_only_the_links_make_too_long_is_built_the_plain_way(announced, make_subscriber, settings):
    delivery = row(announced, make_subscriber())
    _, _, message = both(delivery)
    assert isinstance(message.message(), mime.PreparedMIME)
    settings.SITE_URL = "https://status.example.com/" + "a" * 1000  # each link alone is longer than a line may be
    delivery = Delivery.objects.get(pk=delivery.pk)
    plain, fast, message = both(delivery)
    assert not isinstance(message.message(), mime.PreparedMIME)
    assert normalized(fast) == normalized(plain)


def test_a_text_with_a_boundary_like_line_is_built_the_plain_way(announced, make_subscriber):
    announced.release_summary = "--===============1234567890123456789=="
    announced.save()
    delivery = row(announced, make_subscriber())
    plain, fast, message = both(delivery)
    assert not isinstance(message.message(), mime.PreparedMIME)
    assert normalized(fast) == normalized(plain)


def test_a_message_changed_after_building_is_built_the_plain_way(announced, make_subscriber):
    delivery = row(announced, make_subscriber())
    message = build_message(delivery, RenderCache())
    message.cc = ["audit@example.com"]
    message.extra_headers["X-Campaign"] = "november"
    built = message.message()
    assert not isinstance(built, mime.PreparedMIME)
    assert (built["Cc"], built["X-Campaign"]) == ("audit@example.com", "november")


def test_looking_inside_a_prepared_message_parses_it_and_changes_are_kept(announced, make_subscriber):
    """Amazon SES's backend walks the tree and re-encodes 8bit parts; X-Metadata goes into the headers."""
    delivery = row(announced, make_subscriber("zoë@example.com"))
    tree = build_message(delivery, RenderCache()).message()
    fast = tree.as_bytes()
    assert tree.get_charset() is None and tree.is_multipart()
    assert tree["To"] == build_message(delivery).message()["To"] == "=?utf-8?q?zo=C3=AB?=@example.com"
    assert [part.get_content_type() for part in tree.walk()] == [
        "multipart/mixed",
        "multipart/alternative",
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    tree["X-Metadata"] = '{"batch": 1}'
    for part in tree.walk():
        if part["Content-Transfer-Encoding"] == "8bit":
            del part["Content-Transfer-Encoding"]
            email.encoders.encode_quopri(part)
    changed = tree.as_bytes()
    assert b'X-Metadata: {"batch": 1}' in changed and b"X-Metadata" not in fast
    assert b"Content-Transfer-Encoding: 8bit" in fast and b"Content-Transfer-Encoding: 8bit" not in changed
    reparsed = email.message_from_bytes(changed, policy=policy.default)
    assert (
        reparsed.get_body(("plain",)).get_content()
        == email.message_from_bytes(fast, policy=policy.default).get_body(("plain",)).get_content()
    )


def test_a_window_changed_between_batches_is_rendered_again(announced, make_subscriber):
    ada = make_subscriber()
    first = build_message(row(announced, ada), RenderCache.for_worker())
    again = build_message(Delivery.objects.get(subscriber=ada), RenderCache.for_worker())
    assert again.group is first.group  # nothing changed: the worker's store serves the next batch
    announced.title = "Renamed release"
    announced.save()
    changed = build_message(Delivery.objects.select_related("window").get(subscriber=ada), RenderCache.for_worker())
    assert changed.group is not first.group
    assert "Renamed release" in changed.subject and "Renamed release" not in first.subject


def test_a_changed_from_address_gets_its_own_template(announced, make_subscriber, settings):
    delivery = row(announced, make_subscriber())
    cache = RenderCache.for_worker()
    with time_machine.travel(SENT_AT, tick=False):
        build_message(delivery, cache).message().as_bytes()
        settings.DEFAULT_FROM_EMAIL = "Größe Status <status@example.org>"
        plain = build_message(delivery).message().as_bytes()
        fast = build_message(delivery, cache).message().as_bytes()
    assert normalized(fast) == normalized(plain)
    assert email.message_from_bytes(fast, policy=policy.default)["From"] == "Größe Status <status@example.org>"


@pytest.mark.parametrize("seed", range(5))
def test_folding_shortcut_is_the_policys_own_folding(seed):
    rng = random.Random(seed)
    alphabet = string.ascii_letters + string.digits + " <>@.,;:=-_/" + "\t\x0bäß"
    for linesep in ("\n", "\r\n"):
        folding = compat32.clone(linesep=linesep)
        for _ in range(2000):
            name = rng.choice(["To", "Message-ID", "List-Unsubscribe", "Date", "References"])
            value = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 200)))
            if rng.random() < 0.5:
                value = value.replace("\t", "").replace("\x0b", "").replace("ä", "a").replace("ß", "s")
            if rng.random() < 0.5:
                value = value.replace(" ", "")
            ours = folded(mime.fold, folding, name, value)
            assert ours == folded(type(folding).fold_binary, folding, name, value), (name, value)


def folded(fold, folding, name, value):
    try:
        return fold(folding, name, value)
    except Exception as exc:  # an embedded line break: both must refuse it alike
        return type(exc)


def test_tokens_are_djangos_timestamp_signatures_and_read_back(make_subscriber):
    ada = make_subscriber()
    with time_machine.travel(SENT_AT, tick=False):
        for purpose in tokens.PURPOSES:
            token = tokens.make(purpose, ada.key)
            assert token == signing.TimestampSigner(salt=purpose).sign(ada.key.hex)
            assert tokens.read(purpose, token) == ada.key
            assert tokens.make(purpose, str(ada.key)) == token


def test_keyed_digest_is_salted_hmac_and_follows_the_secret_key(settings):
    assert tokens.keyed_digest("salt", "välue") == salted_hmac("salt", "välue", algorithm="sha256").digest()
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert tokens.keyed_digest("salt", "välue") == salted_hmac("salt", "välue", algorithm="sha256").digest()


def test_a_plain_email_is_what_build_message_gives_without_a_cache(announced, make_subscriber):
    message = build_message(row(announced, make_subscriber()))
    assert type(message) is EmailMultiAlternatives


def test_an_smtp_server_receives_the_plain_build_byte_for_byte(
    announced, make_subscriber, smtp_server, eager, django_capture_on_commit_callbacks
):
    people = [make_subscriber(address, language=language, timezone=zone) for address, language, zone in PEOPLE[:3]]
    people += [make_subscriber("kim@xn--bcher-kva.example", language="en", timezone="Asia/Tokyo")]
    with time_machine.travel(SENT_AT, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            schedule_due.delay()
        by_id = {re.search(rb"\r\nMessage-ID: (\S+)\r\n", data)[1]: data for data in smtp_server.raw}
        assert len(by_id) == len(smtp_server.raw) == len(people)
        for person in people:
            delivery = Delivery.objects.get(subscriber=person, kind="announcement")
            assert delivery.status == Delivery.Status.SENT
            plain = build_message(delivery).message().as_bytes(linesep="\r\n")
            assert normalized(by_id[message_ids(delivery)[0].encode()]) == normalized(plain)


def test_the_file_backend_writes_the_prepared_bytes_without_parsing_them(
    announced, make_subscriber, settings, tmp_path
):
    """The embedded default writes each mail to var/outbox/ through Django's file backend."""
    settings.EMAIL_BACKEND = "notifications.backends.FileAndConsoleBackend"
    settings.EMAIL_FILE_PATH = str(tmp_path)
    delivery = row(announced, make_subscriber("zoë@example.com", language="de"))
    with time_machine.travel(SENT_AT, tick=False):
        plain = build_message(delivery).message().as_bytes()
        message = build_message(delivery, RenderCache.for_worker())
        built = message.message()
        message.message = lambda: built  # the backend's own call gets this very object
        assert get_connection().send_messages([message]) == 1
    assert not built._parsed()  # written from the template's bytes; get_charset() did not need the tree
    [written] = tmp_path.iterdir()
    assert normalized(written.read_bytes()) == normalized(plain) + b"\n" + b"-" * 79 + b"\n"


@pytest.mark.parametrize("text", ["YOFFPEAKMANAGEURLY", "===============0000000000000000001=="])
def test_a_text_holding_a_stand_in_is_built_the_plain_way(announced, make_subscriber, text):
    announced.release_summary = f"Notes: {text}"
    announced.save()
    delivery = row(announced, make_subscriber())
    plain, fast, message = both(delivery)
    assert not isinstance(message.message(), mime.PreparedMIME)
    assert text.encode() in fast and normalized(fast) == normalized(plain)
