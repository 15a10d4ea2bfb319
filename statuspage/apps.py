from django.apps import AppConfig


class StatuspageConfig(AppConfig):
    name = "statuspage"
    verbose_name = "Status page"

    def ready(self):
        from django.db.models.signals import m2m_changed, post_delete, post_save

        from maintenance.models import Incident
        from maintenance.signals import window_changed
        from statuspage import caching

        # Any change to what the public pages show gives them a new content version at once.
        for model in caching.WATCHED:
            post_save.connect(caching.bump, sender=model, dispatch_uid=f"statuspage-save-{model.__name__}")
            post_delete.connect(caching.bump, sender=model, dispatch_uid=f"statuspage-delete-{model.__name__}")
        m2m_changed.connect(caching.bump, sender=Incident.regions.through, dispatch_uid="statuspage-incident-regions")
        window_changed.connect(caching.bump, dispatch_uid="statuspage-window-changed")
