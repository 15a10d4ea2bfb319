from pathlib import Path

from django.apps import AppConfig
from django.conf import settings


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self):
        make_sqlite_folders()

        from corsheaders.signals import check_request_enabled
        from django.db.backends.signals import connection_created
        from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save

        from maintenance.models import Incident
        from maintenance.signals import window_changed
        from statuspage import caching, checks, cors, dbtime  # noqa: F401 - checks registers the system checks

        # `migrate` also makes the database cache's table (the default cache), so every install has it. The signal
        # is sent per app with models; this app has none, so it listens once, after maintenance's.
        post_migrate.connect(
            caching.create_cache_table,
            sender=self.apps.get_app_config("maintenance"),
            dispatch_uid="statuspage-cache-table",
        )
        connection_created.connect(dbtime.use_quick_timestamps, dispatch_uid="statuspage-quick-timestamps")
        check_request_enabled.connect(cors.public_read, dispatch_uid="statuspage-cors-public-read")

        # Any change to what the public pages show gives them a new content version at once.
        for model in caching.WATCHED:
            post_save.connect(caching.bump, sender=model, dispatch_uid=f"statuspage-save-{model.__name__}")
            post_delete.connect(caching.bump, sender=model, dispatch_uid=f"statuspage-delete-{model.__name__}")
        m2m_changed.connect(caching.bump, sender=Incident.regions.through, dispatch_uid="statuspage-incident-regions")
        window_changed.connect(caching.bump, dispatch_uid="statuspage-window-changed")


def make_sqlite_folders():
    """SQLite creates its database file on first connection, but not the folder it is in (var/ by default).
    Make that folder before any connection is opened, so `manage.py migrate` works on a fresh checkout."""
    for database in settings.DATABASES.values():
        name = str(database.get("NAME") or "")
        in_memory = name in {"", ":memory:"} or "mode=memory" in name
        if database["ENGINE"] == "django.db.backends.sqlite3" and not in_memory:
            Path(name).parent.mkdir(parents=True, exist_ok=True)
