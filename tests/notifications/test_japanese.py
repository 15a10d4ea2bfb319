"""Subscribers who read Japanese: they choose it in the form or the API, and their pages and every email come in
Japanese with Japanese dates; English and German readers of the same window read their own forms."""

import email
import json
import re
from email import policy

import icalendar
import pytest
from django.core import mail

from maintenance import lifecycle, planning
from maintenance.models import Window
from notifications import tokens
from notifications.emails import RenderCache, build_message
from notifications.models import Delivery, Subscriber
from tests.conftest import NOW


def parsed(message):
    return email.message_from_bytes(message.message().as_bytes(), policy=policy.default)


@pytest.fixture
def captured(django_capture_on_commit_callbacks, eager):
    return django_capture_on_commit_callbacks


@pytest.fixture
def december(regions):
    """Frankfurt's December 2026 window, announced: Saturday 26 December, 22:00-23:00 in Berlin."""
    planning.plan(NOW, 2)
    window = Window.objects.get(region=regions["eu-frankfurt"], month="2026-12-01")
    lifecycle.announce(window, now=NOW)
    return Window.objects.get(pk=window.pk)


def test_the_form_offers_japanese_and_the_confirmation_comes_in_japanese(client, regions, captured):
    form = client.get("/subscribe/", HTTP_ACCEPT_LANGUAGE="ja").content.decode()
    assert '<html lang="ja">' in form
    assert re.search(r'<option value="ja"[^>]*selected[^>]*>日本語</option>', form)
    with captured(execute=True):
        response = client.post(
            "/subscribe/",
            {"email": "hanako@example.jp", "regions": ["japan"], "language": "ja"},
            HTTP_ACCEPT_LANGUAGE="ja",
        )
    assert response.status_code == 200
    assert "確認メールをお送りしています" in response.content.decode()
    assert Subscriber.objects.get().language == "ja"
    [message] = mail.outbox
    assert message.subject == "Offpeak への登録のご確認"
    assert "登録を確定するには、7日以内に次のリンクを開いてください:" in message.body
    assert "Japan" in message.body


def test_the_api_takes_japanese_and_names_the_field_for_another_language(client, regions, captured):
    def post(language):
        return client.post(
            "/api/v1/subscriptions/",
            json.dumps({"email": f"{language}@example.jp", "regions": ["japan"], "language": language}),
            content_type="application/json",
        )

    with captured(execute=True):
        assert post("ja").status_code == 202
    assert Subscriber.objects.get().language == "ja"
    refused = post("fr")
    assert refused.status_code == 400 and "language" in refused.content.decode()


def test_confirm_manage_and_unsubscribe_pages_speak_the_subscribers_language(client, make_subscriber, clock):
    hanako = make_subscriber("hanako@example.jp", region="japan", language="ja", state=Subscriber.State.PENDING)
    confirm = f"/subscription/confirm/{tokens.make(tokens.CONFIRM, hanako.key)}/"
    page = client.get(confirm).content.decode()
    assert '<html lang="ja">' in page and "hanako@example.jp にメンテナンス通知を送信しますか？" in page
    assert "登録が完了しました" in client.post(confirm).content.decode()
    manage = client.get(f"/subscription/manage/{tokens.make(tokens.MANAGE, hanako.key)}/").content.decode()
    assert "<dt>言語</dt><dd>日本語</dd>" in manage
    assert re.search(r"<dt>登録日時</dt><dd>2026年11月10日\(火\) 12:00 UTC</dd>", manage)
    unsubscribe = f"/subscription/unsubscribe/{tokens.make(tokens.UNSUBSCRIBE, hanako.key)}/"
    assert "hanako@example.jp へのメンテナンス通知を停止しました。" in client.post(unsubscribe).content.decode()


@pytest.mark.parametrize(
    ("language", "subject", "start"),
    [
        (
            "en",
            "Scheduled maintenance in EU (Frankfurt) on Saturday, December 26: Monthly release",
            "Starts: Saturday, Dec. 26, 2026, 22:00 CET",
        ),
        (
            "de",
            "Geplante Wartung in EU (Frankfurt) am Samstag, 26. Dezember: Monatliches Release",
            "Beginn: Samstag, 26. Dezember 2026, 22:00 CET",
        ),
        (
            "ja",
            "EU (Frankfurt) のメンテナンス予定（12月26日(土)）: 月例リリース",
            "開始: 2026年12月26日(土) 22:00 CET",
        ),
    ],
)
def test_the_announcement_of_the_december_window_in_each_language(december, make_subscriber, language, subject, start):
    reader = make_subscriber(f"{language}@example.com", language=language)
    row = Delivery.objects.create(window=december, subscriber=reader, kind="announcement", sequence=1, created_at=NOW)
    message = build_message(row)
    assert message.subject == subject
    assert start in message.body
    assert start.split(": ", 1)[1] in message.alternatives[0][0]


def test_the_admin_previews_every_email_in_japanese(admin_client, december):
    response = admin_client.get(
        f"/admin/maintenance/window/{december.pk}/preview-email/", {"kind": "reminder", "language": "ja"}
    )
    assert response.status_code == 200
    message = response.context["message"]
    assert message.subject == "リマインダー: EU (Frankfurt) のメンテナンスまであと 24 時間（12月26日(土)）"
    assert "配信停止" in message.body


def test_the_calendar_attachment_speaks_each_readers_language(december, make_subscriber):
    december.release_summary = "Faster exports."
    december.release_summary_translations = {"ja": "エクスポートの高速化。"}
    december.save()
    cache = RenderCache()
    events = {}
    for language in ("ja", "en", "de"):
        reader = make_subscriber(f"{language}@example.com", language=language)
        row = Delivery.objects.create(
            window=december, subscriber=reader, kind="announcement", sequence=december.sequence, created_at=NOW
        )
        message = parsed(build_message(row, cache))
        [attachment] = list(message.iter_attachments())
        [event] = icalendar.Calendar.from_ical(attachment.get_content()).walk("VEVENT")
        events[language] = (str(event["SUMMARY"]), str(event["DESCRIPTION"]).split("\n")[0])
    assert events == {
        "ja": ("EU (Frankfurt): 月例リリース", "エクスポートの高速化。"),
        "en": ("EU (Frankfurt): Monthly release", "Faster exports."),
        "de": ("EU (Frankfurt): Monatliches Release", "Faster exports."),  # no German summary: the English one
    }
