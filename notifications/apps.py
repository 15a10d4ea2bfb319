from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = _("Notifications")

    def ready(self):
        from anymail.signals import tracking

        from maintenance.signals import window_changed

        # Importing registers the system checks, and the tasks that queueing publishes by name.
        from notifications import checks, receivers, tasks  # noqa: F401

        window_changed.connect(receivers.window_changed, dispatch_uid="notifications.window_changed")
        tracking.connect(receivers.tracking, dispatch_uid="notifications.tracking")
