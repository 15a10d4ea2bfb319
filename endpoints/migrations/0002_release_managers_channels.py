"""Release managers add and edit the chat channels, see the webhook subscriptions (and enable one again) and the
endpoint outbox. Added to the group maintenance's migration creates, never replacing what an operator gave it."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Release managers"
PERMISSIONS = [
    ("endpoints", "view_channel"),
    ("endpoints", "add_channel"),
    ("endpoints", "change_channel"),
    ("endpoints", "delete_channel"),
    ("endpoints", "view_webhooksubscription"),
    ("endpoints", "change_webhooksubscription"),
    ("endpoints", "view_endpointdelivery"),
]


def grant(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, codename in PERMISSIONS:
        group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group in Group.objects.filter(name=GROUP):
        group.permissions.remove(*Permission.objects.filter(content_type__app_label="endpoints"))


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0001_webhooks_channels_outbox"),
        ("maintenance", "0005_release_managers_group"),
    ]

    operations = [migrations.RunPython(grant, revoke)]
