"""The default cache: Django's database cache, with an ``incr`` the rate limits can count on.

Django's database cache increments by reading the value and writing it back with a new (default) timeout. Two
processes counting at once can then lose a count, and every count pushes the key's expiry out to the default
timeout, so a limit per hour would forget its counter five minutes after the last request. Here ``incr`` reads the
row under a lock (``SELECT ... FOR UPDATE``, or SQLite's write lock that ``transaction_mode=IMMEDIATE`` takes when
the transaction begins) and updates only the value, so the count is exact and the key keeps the expiry it was added
with.
"""

import base64
import pickle

from django.core.cache.backends import db
from django.db import connections, models, router, transaction
from django.utils.timezone import now


class DatabaseCache(db.DatabaseCache):
    def incr(self, key, delta=1, version=None):
        key = self.make_and_validate_key(key, version=version)
        alias = router.db_for_write(self.cache_model_class)
        connection = connections[alias]
        quote = connection.ops.quote_name
        table, cache_key, value, expires = (quote(name) for name in (self._table, "cache_key", "value", "expires"))
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        expression = models.Expression(output_field=models.DateTimeField())
        converters = connection.ops.get_db_converters(expression) + expression.get_db_converters(connection)
        with transaction.atomic(using=alias), connection.cursor() as cursor:
            cursor.execute(f"SELECT {value}, {expires} FROM {table} WHERE {cache_key} = %s{lock}", [key])
            row = cursor.fetchone()
            if row is not None:
                stored, expiry = row
                for converter in converters:
                    expiry = converter(expiry, expression, connection)
            if row is None or expiry < now():
                raise ValueError(f"Key '{key}' not found")
            new = pickle.loads(base64.b64decode(connection.ops.process_clob(stored).encode())) + delta
            encoded = base64.b64encode(pickle.dumps(new, self.pickle_protocol)).decode("latin1")
            cursor.execute(f"UPDATE {table} SET {value} = %s WHERE {cache_key} = %s", [encoded, key])
        return new

    def decr(self, key, delta=1, version=None):
        return self.incr(key, -delta, version=version)
