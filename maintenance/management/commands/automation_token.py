from django.contrib.auth.models import Permission, User
from django.core.management.base import BaseCommand
from django.db import transaction
from rest_framework.authtoken.models import Token


class Command(BaseCommand):
    help = (
        "Print the bearer token a monitor (Alertmanager, Uptime Kuma, ...) sends to /api/v1/automation/: the user is "
        "created when missing, without a password, and may only open, update and resolve incidents from alerts."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", nargs="?", default="alertmanager", help="Defaults to alertmanager.")

    def handle(self, *args, username, **options):
        with transaction.atomic():
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            user.user_permissions.add(
                Permission.objects.get(content_type__app_label="maintenance", codename="automate_incidents")
            )
            token, _ = Token.objects.get_or_create(user=user)
        self.stdout.write(token.key)
