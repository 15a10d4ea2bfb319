"""Pipeline tokens: hashed, prefixed, expiring, revocable in the admin, with a last-used time; one command makes the
bot user and prints a token, or says why not and exits non-zero; old DRF tokens are adopted for a grace period."""

import importlib
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from rest_framework.test import APIClient

from maintenance.models import Window
from statuspage.management.commands.api_token import Command
from statuspage.models import ApiToken
from tests.conftest import NOW

adopt = importlib.import_module("statuspage.migrations.0002_adopt_drf_tokens")
pytestmark = pytest.mark.usefixtures("clock")


def make_token(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("api_token", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def announce(key, window):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client.post(f"/api/v1/windows/{window.pk}/announce/")


def test_the_command_creates_the_bot_in_the_group_and_prints_only_a_working_token(window):
    out, err = make_token("release-bot")
    key = out.strip()
    assert out == key + "\n" and key.startswith("offpeak_") and len(key) == len("offpeak_") + 64
    assert "Created the user release-bot in the Release managers group." in err
    assert "shown only this once" in err and key not in err
    bot = User.objects.get(username="release-bot")
    assert list(bot.groups.values_list("name", flat=True)) == ["Release managers"]
    assert not bot.has_usable_password()
    token = ApiToken.objects.get(user=bot)
    assert token.token_key == key[:15] and token.digest != key
    assert not ApiToken.objects.filter(digest__contains=key).exists()
    assert token.expiry == NOW + timedelta(days=90)
    assert token.last_used_at is None

    assert announce(key, window).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at == NOW


def test_a_second_run_gives_a_second_token_and_both_work(window):
    first, _ = make_token("release-bot")
    second, err = make_token("release-bot", "--days", "7", "--name", "nightly pipeline")
    assert first != second and "Created the user" not in err
    assert ApiToken.objects.get(token_key=second[:15]).name == "nightly pipeline"
    assert ApiToken.objects.get(token_key=second[:15]).expiry == NOW + timedelta(days=7)
    assert announce(first.strip(), window).status_code == 200
    assert announce(second.strip(), window).status_code == 200


@pytest.mark.parametrize(
    ("args", "sentence"),
    [
        (["customer"], "The user customer exists but is not a release manager; add it to the Release managers group"),
        (["sleepy"], "The user sleepy is inactive"),
        (["release-bot", "--days", "0"], "--days must be 1 to 366; got 0."),
        (["bad name!"], "'bad name!' is not a valid user name"),
    ],
)
def test_the_command_says_why_it_cannot_and_makes_nothing(db, args, sentence):
    User.objects.create_user("customer")
    sleepy = User.objects.create_user("sleepy", is_active=False)
    sleepy.groups.add(Group.objects.get(name="Release managers"))
    with pytest.raises(CommandError, match=sentence.replace("(", r"\(")):
        make_token(*args)
    assert not ApiToken.objects.exists()
    assert not User.objects.filter(username__in=["release-bot", "bad name!"]).exists()


def test_from_the_shell_a_refusal_exits_1_with_the_sentence_and_prints_no_token(db, capsys):
    User.objects.create_user("customer")
    with pytest.raises(SystemExit) as exit_info:
        Command().run_from_argv(["manage.py", "api_token", "customer"])
    assert exit_info.value.code == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "CommandError: The user customer exists but is not a release manager" in captured.err


def test_an_expired_token_is_refused_and_removed(window, clock):
    key = make_token("release-bot", "--days", "1")[0].strip()
    clock.move_to(NOW + timedelta(days=1, seconds=1))
    response = announce(key, window)
    assert (response.status_code, response.json()) == (401, {"detail": "Invalid token."})
    assert not ApiToken.objects.exists()
    assert Window.objects.get(pk=window.pk).status == "planned"


def test_the_admin_shows_the_prefix_never_the_key_and_revokes(window, client):
    key = make_token("release-bot", "--name", "deploys")[0].strip()
    client.force_login(User.objects.create_superuser("admin", password="x"))
    page = client.get("/admin/statuspage/apitoken/")
    assert page.status_code == 200
    html = page.content.decode()
    assert key[:15] in html and key not in html and "deploys" in html
    assert client.get("/admin/statuspage/apitoken/add/").status_code == 403
    token = ApiToken.objects.get()
    response = client.post(
        "/admin/statuspage/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 token revoked." in response.content.decode()
    assert not ApiToken.objects.exists()
    assert announce(key, window).status_code == 401


def test_old_drf_tokens_are_hashed_and_keep_working_for_the_grace_period(window, clock):
    legacy = "9944b09199c62bcf9418ad846dd0e4bbdfc6ee4b"  # a DRF key: 40 hex digits, stored in plain text
    bot = User.objects.create_user("old-bot")
    bot.groups.add(Group.objects.get(name="Release managers"))
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE authtoken_token (key varchar(40) PRIMARY KEY, created timestamp, user_id integer)")
        cursor.execute("INSERT INTO authtoken_token VALUES (%s, %s, %s)", [legacy, NOW, bot.pk])
    try:
        # The migration's function, given the project's models and the connection as a schema editor would.
        adopt.adopt_drf_tokens(apps, SimpleNamespace(connection=connection))
        with connection.cursor() as cursor:
            cursor.execute("SELECT COUNT(*) FROM authtoken_token")
            assert cursor.fetchone() == (0,)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TABLE authtoken_token")
    token = ApiToken.objects.get(user=bot)
    assert (token.token_key, token.expiry, token.name) == (legacy[:15], NOW + adopt.GRACE, "DRF token (migrated)")
    assert token.digest != legacy
    assert announce(legacy, window).status_code == 200
    clock.move_to(NOW + adopt.GRACE + timedelta(seconds=1))
    assert announce(legacy, window).status_code == 401
