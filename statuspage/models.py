from django.db import models
from django.utils.translation import gettext_lazy as _
from knox.models import AbstractAuthToken


class ApiToken(AbstractAuthToken):
    """A token for the pipeline API, kept only as a hash (django-rest-knox).

    The key is shown once, when ``manage.py api_token`` makes it. ``token_key`` is its first 15 characters (the
    ``offpeak_`` prefix and 7 more), enough to tell tokens apart in the admin and in logs, never enough to use one.
    A token stops working at ``expiry``, or when it is revoked (deleted) in the admin.
    """

    name = models.CharField(_("name"), max_length=100, blank=True, help_text=_("What the token is for."))
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]

    def __str__(self):
        return f"{self.token_key}… ({self.user})"
