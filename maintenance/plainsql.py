"""Reads written as SQL, for the few queries every uncached public page makes.

Putting a queryset together and compiling it costs Django about as much CPU as the database spends answering it,
every time: a millisecond or more for a query with a few ``Q`` branches. The reads here are fixed in shape, so they
are written once as SQL, with the table and column names taken from the models, and run through Django's cursor
(the same connection, parameters and timestamp reading). What they return is plain rows, not model instances.
"""

from functools import lru_cache, wraps

from django.db import connection
from django.db.models import BooleanField, Q
from django.db.models.expressions import RawSQL


def written_once(write):
    """Keep the SQL that ``write()`` returns, per database vendor: it depends on the models and the quoting only.
    A list of values of varying length goes in as a ``{name}`` field, filled with ``placeholders``."""
    kept = lru_cache(maxsize=None)(lambda vendor: write())

    @wraps(write)
    def statement():
        return kept(connection.vendor)

    return statement


def table(model):
    return connection.ops.quote_name(model._meta.db_table)


def column(model, name):
    """The quoted column of ``model``'s field ``name``, prefixed with its table."""
    return f"{table(model)}.{connection.ops.quote_name(model._meta.get_field(name).column)}"


def placeholders(values):
    """``%s, %s, …`` for an ``IN (…)`` list; a list that matches nothing when ``values`` is empty."""
    return ", ".join(["%s"] * len(values)) if values else "NULL"


def any_of(model, column, values):
    """``<column> IN values`` as a condition for ``filter()``: on PostgreSQL ``= ANY(%s)`` with the values as one
    array, where ``__in`` has Django prepare, the driver bind and the server parse one parameter per value (a
    chunk's 250 ids, in several statements per chunk). No values: Django runs no statement at all, as for ``__in``."""
    values = list(values)
    if connection.vendor != "postgresql" or not values:
        return Q(**{f"{column}__in": values})
    quote = connection.ops.quote_name
    sql = f"{quote(model._meta.db_table)}.{quote(column)} = ANY(%s::bigint[])"
    return Q(RawSQL(sql, [values], output_field=BooleanField()))


def rows(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def rows_read(sql, params, times):
    """The rows of ``sql`` as ``(id, values)``, the id being the first column, with the ``values`` at the indexes
    ``times`` read as the ORM reads timestamps (see ``aware``)."""
    read = aware()
    for pk, *values in rows(sql, params):
        for index in times:
            values[index] = read(values[index])
        yield pk, values


def loader(model, names):
    """A function that makes an instance of ``model`` of a row's values for the attnames ``names`` (a part of a row of
    ``rows``), each value converted as the ORM converts it (a JSON column decoded, for one), through ``from_db``."""
    converters = []
    for index, name in enumerate(names):
        model_field = model._meta.get_field(name)
        found = connection.ops.get_db_converters(model_field.get_col(model._meta.db_table))
        found += model_field.get_db_converters(connection)
        converters += [(index, convert, model_field) for convert in found]
    alias = connection.alias

    def load(values):
        if converters:
            values = list(values)
            for index, convert, model_field in converters:
                values[index] = convert(values[index], model_field, connection)
        return model.from_db(alias, names, values)

    return load


def instant(value):
    """A value bound to a timestamp column, as the ORM binds it (a string on SQLite, the datetime on PostgreSQL)."""
    return connection.ops.adapt_datetimefield_value(value)


def aware():
    """A function that makes a timestamp read by ``rows`` what the ORM gives: an aware datetime (or None).

    PostgreSQL's driver reads aware datetimes already; SQLite gives text in UTC, which Django's converter reads.
    """
    convert = getattr(connection.ops, "convert_datetimefield_value", None)
    if convert is None:
        return _same
    return lambda value: convert(value, None, connection)


def _same(value):
    return value
