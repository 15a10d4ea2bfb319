"""JSON bodies as the API reads them: finite numbers and well-formed text only."""

import json
import math
import re

from django.utils.translation import gettext_lazy as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

SURROGATE = re.compile("[\ud800-\udfff]")


def _finite(text):
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"{text} is too large for a number")
    return value


def _refuse(name):
    raise ValueError(f"{name} is not a number JSON allows")


def _has_surrogate(value):
    if isinstance(value, str):
        return bool(SURROGATE.search(value))
    if isinstance(value, dict):
        return any(_has_surrogate(key) or _has_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_surrogate(item) for item in value)
    return False


class JSONParser(parsers.JSONParser):
    """DRF's parser refuses NaN and Infinity; this one also refuses a number too large for a float (1e309, which
    would reach a field as infinity) and a lone UTF-16 surrogate (``"\\ud800"``, which no database can store)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", "utf-8")
        try:
            text = stream.read().decode(encoding)
        except (UnicodeDecodeError, LookupError):
            raise ParseError(_("The body is not valid UTF-8.")) from None
        try:
            data = json.loads(text, parse_constant=_refuse, parse_float=_finite)
        except ValueError as exc:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": exc}) from None
        if _has_surrogate(data):
            raise ParseError(_("The body holds a lone UTF-16 surrogate, which is not text."))
        return data
