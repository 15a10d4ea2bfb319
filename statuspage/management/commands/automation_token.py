"""Make a monitor's token: ``manage.py automation_token alertmanager``.

The user is created when missing, without a password, with only the permission to open, update and resolve
incidents from alerts (``maintenance.automate_incidents``). A new hashed, expiring token (the same kind as
``api_token`` makes) is printed on standard output, alone on its line, once; only its hash is kept.
"""

from datetime import timedelta

from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from statuspage.models import ApiToken

MAX_DAYS = 366


class Command(BaseCommand):
    help = (
        "Print a new bearer token a monitor (Alertmanager, Uptime Kuma, ...) sends to /api/v1/automation/: the user "
        "is created when missing, without a password, and may only open, update and resolve incidents from alerts."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="alertmanager", help="Defaults to alertmanager.")
        parser.add_argument(
            "--days", type=int, default=365, help=f"Days until the token expires (1 to {MAX_DAYS}; default 365)."
        )

    def handle(self, *args, username, days, **options):
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(f"--days must be 1 to {MAX_DAYS}; got {days}.")
        with transaction.atomic():
            try:
                permission = Permission.objects.get(
                    content_type__app_label="maintenance", codename="automate_incidents"
                )
            except Permission.DoesNotExist:
                raise CommandError(
                    "Run `manage.py migrate` first: the automation permission does not exist yet."
                ) from None
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            elif not user.is_active:
                raise CommandError(f"The user {username} is inactive; activate it in the admin or pick another name.")
            user.user_permissions.add(permission)
            token, key = ApiToken.objects.create(user=user, expiry=timedelta(days=days), name="automation")
        self.stderr.write(
            f"Token {token.token_key}… for {username}, expires {token.expiry:%Y-%m-%d %H:%M} UTC. "
            "It is shown only this once; revoke it in the admin under API tokens."
        )
        self.stdout.write(key)
