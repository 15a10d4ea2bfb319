import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from anymail.signals import tracking

        from maintenance.signals import incident_changed, window_changed

        # Importing registers the system checks, and the tasks that queueing publishes by name.
        from notifications import checks, logs, receivers, tasks  # noqa: F401

        window_changed.connect(receivers.window_changed, dispatch_uid="notifications.window_changed")
        incident_changed.connect(receivers.incident_changed, dispatch_uid="notifications.incident_changed")
        tracking.connect(receivers.tracking, dispatch_uid="notifications.tracking")
        # These loggers name request paths; a filter on the logger cleans the record for every handler it reaches.
        for name in ("django.request", "django.server"):
            logger = logging.getLogger(name)
            if not any(isinstance(existing, logs.RedactLinks) for existing in logger.filters):
                logger.addFilter(logs.RedactLinks())
