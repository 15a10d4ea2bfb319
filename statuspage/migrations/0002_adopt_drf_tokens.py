"""Existing DRF tokens (``rest_framework.authtoken``, kept in plain text) become hashed API tokens.

Each key keeps working, now stored only as its hash, until ``GRACE`` after this migration ran; then it expires like any
token and the pipeline needs a new one from ``manage.py api_token``. The plain-text rows are deleted. The old table
itself is left in place, empty, for an operator to drop.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

GRACE = timedelta(days=30)
TABLE = "authtoken_token"


def adopt_drf_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS

    connection = schema_editor.connection
    if TABLE not in connection.introspection.table_names():
        return
    ApiToken = apps.get_model("statuspage", "ApiToken")
    expiry = timezone.now() + GRACE
    quoted = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {quoted('key')}, {quoted('user_id')} FROM {quoted(TABLE)}")
        rows = cursor.fetchall()
        ApiToken.objects.using(schema_editor.connection.alias).bulk_create(
            [
                ApiToken(
                    digest=hash_token(key),
                    token_key=key[: CONSTANTS.TOKEN_KEY_LENGTH],
                    user_id=user_id,
                    expiry=expiry,
                    name="DRF token (migrated)",
                )
                for key, user_id in rows
            ]
        )
        cursor.execute(f"DELETE FROM {quoted(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("statuspage", "0001_api_token")]

    operations = [migrations.RunPython(adopt_drf_tokens, migrations.RunPython.noop, elidable=True)]
