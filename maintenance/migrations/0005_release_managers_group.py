"""The "Release managers" group, with only the permissions their work needs.

They run the lifecycle (``manage_windows``), edit a window's title, summary and
automatic flags (``change_window``), freeze months, manage incidents and read
the audit log. They cannot add or delete windows, edit regions, or change the
audit log.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "Release managers"
PERMISSIONS = [
    ("maintenance", "manage_windows"),
    ("maintenance", "view_window"),
    ("maintenance", "change_window"),
    ("maintenance", "view_region"),
    ("maintenance", "view_freeze"),
    ("maintenance", "add_freeze"),
    ("maintenance", "change_freeze"),
    ("maintenance", "delete_freeze"),
    ("maintenance", "view_incident"),
    ("maintenance", "add_incident"),
    ("maintenance", "change_incident"),
    ("maintenance", "view_incidentupdate"),
    ("maintenance", "add_incidentupdate"),
    ("maintenance", "view_auditevent"),
]


def create_group(apps, schema_editor):
    # Permissions are normally created after all migrations ran; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    wanted = []
    for app_label, codename in PERMISSIONS:
        wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(wanted)


def remove_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("maintenance", "0004_window_permissions_idempotency"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, remove_group)]
