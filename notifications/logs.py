"""Signed subscription links are credentials: no log line carries one.

``redact`` replaces the token in every confirm, manage and unsubscribe path (of email subscriptions,
``/subscription/...``, and of webhook subscriptions, ``/webhooks/...``) with ``[token]``. ``RedactLinks`` does it
to every record a logging handler writes (the settings put it on each handler), and gunicorn's access log uses
``redact`` too (``gunicorn.conf.py``). Pure: imports nothing from Django, so gunicorn's config can use it.
"""

import logging
import re

SIGNED_PATH = re.compile(r"(/(?:subscription|webhooks)/(?:confirm|manage|unsubscribe)/)[^/?#\s\"']+")
TOKEN = "[token]"


def redact(text):
    """``text`` with the token of every signed subscription path replaced by ``[token]``."""
    return SIGNED_PATH.sub(lambda match: match.group(1) + TOKEN, text) if isinstance(text, str) else text


class RedactLinks(logging.Filter):
    """A handler filter: the record's message, formatted, without tokens."""

    def filter(self, record):
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
