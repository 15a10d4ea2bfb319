"""Token authentication for the pipeline API: knox's hashed, expiring tokens, with the time each was last used."""

from datetime import timedelta

from django.utils import timezone
from drf_spectacular.contrib.knox_auth_token import KnoxTokenScheme
from knox.auth import TokenAuthentication as KnoxTokenAuthentication

from statuspage.models import ApiToken

# Record a use at most once a minute per token, so a busy pipeline does not write on every call.
LAST_USED_STEP = timedelta(minutes=1)


class TokenAuthentication(KnoxTokenAuthentication):
    """``Authorization: Token <key>``; a bad, expired or revoked key is a 401 ("Invalid token.")."""

    def authenticate_credentials(self, token):
        user, auth_token = super().authenticate_credentials(token)
        now = timezone.now()
        if auth_token.last_used_at is None or now - auth_token.last_used_at >= LAST_USED_STEP:
            ApiToken.objects.filter(pk=auth_token.pk).update(last_used_at=now)
            auth_token.last_used_at = now
        return user, auth_token


class TokenScheme(KnoxTokenScheme):
    """The schema's security scheme for these tokens: an ``Authorization: Token <key>`` header."""

    target_class = "statuspage.api.auth.TokenAuthentication"
    name = "tokenAuth"
