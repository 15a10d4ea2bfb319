import logging

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EndpointsConfig(AppConfig):
    name = "endpoints"
    verbose_name = _("Webhooks and chat channels")

    def ready(self):
        from endpoints import channels, receivers, tasks  # noqa: F401  (registers the tasks queueing names)
        from maintenance.signals import incident_changed, window_changed

        window_changed.connect(receivers.news, dispatch_uid="endpoints.window_changed")
        incident_changed.connect(receivers.news, dispatch_uid="endpoints.incident_changed")
        # apprise's log lines may quote a channel URL and its tokens: they stay out of the project's handlers.
        logging.getLogger(channels.APPRISE_LOGGER).propagate = False
        for name in channels.QUIET_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(existing, channels.WhilePosting) for existing in logger.filters):
                logger.addFilter(channels.WhilePosting())
