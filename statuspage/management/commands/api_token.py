"""Make a pipeline token: ``TOKEN=$(manage.py api_token release-bot)``.

Creates the user when it does not exist yet (with no password, in the Release managers group), then prints a new
token on standard output, alone on its line, once: only its hash is kept. Anything else goes to standard error. When
it cannot make a working token it says why in one sentence and exits with status 1, so ``TOKEN`` is never silently
empty or useless.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from statuspage.models import ApiToken

GROUP = "Release managers"
MAX_DAYS = 366


class Command(BaseCommand):
    help = "Print a new API token for a release manager (the user is created in the Release managers group if new)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="The bot's user name, e.g. release-bot.")
        parser.add_argument(
            "--days", type=int, default=90, help=f"Days until the token expires (1 to {MAX_DAYS}; default 90)."
        )
        parser.add_argument("--name", default="", help="What the token is for, shown in the admin.")

    def handle(self, *args, username, days, name, **options):
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be 1 to {MAX_DAYS}; got {days}.")
        username = username.strip()
        if not username:
            raise CommandError("Give a user name, e.g. release-bot.")
        User = get_user_model()
        with transaction.atomic():
            try:
                group = Group.objects.get(name=GROUP)
            except Group.DoesNotExist:
                raise CommandError(
                    f"The {GROUP!r} group does not exist; run `manage.py migrate` first (it creates the group)."
                ) from None
            user = User.objects.filter(**{User.USERNAME_FIELD: username}).first()
            if user is None:
                user = User(**{User.USERNAME_FIELD: username})
                user.set_unusable_password()
                try:
                    user.full_clean(exclude=["password"])
                except ValidationError as exc:
                    raise CommandError(f"{username!r} is not a valid user name: {' '.join(exc.messages)}") from None
                user.save()
                user.groups.add(group)
                self.stderr.write(f"Created the user {username} in the {GROUP} group.")
            elif not user.is_active:
                raise CommandError(f"The user {username} is inactive; activate it in the admin or pick another name.")
            elif not user.has_perm("maintenance.manage_windows"):
                raise CommandError(
                    f"The user {username} exists but is not a release manager; add it to the {GROUP} group in the "
                    "admin, or pick another name for the bot."
                )
            token, key = ApiToken.objects.create(user=user, expiry=timedelta(days=days), name=name[:100])
        self.stderr.write(
            f"Token {token.token_key}… for {username}, expires {token.expiry:%Y-%m-%d %H:%M} UTC. "
            "It is shown only this once; revoke it in the admin under API tokens."
        )
        self.stdout.write(key)
