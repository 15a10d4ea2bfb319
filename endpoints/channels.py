"""Operator channels through apprise: parse a URL, show it without its secrets, post a message to it.

apprise's own log lines, and urllib3's while apprise posts, may quote a channel's URL, tokens included: they never
reach the project's handlers as they were: the app config stops the ``apprise`` logger, and ``WhilePosting`` cuts
the URLs being posted to out of urllib3's records (apprise may post from threads of its own). What the outbox
records of apprise's log has every part of the URL cut out too.
"""

import logging
import re
import threading
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise

APPRISE_LOGGER = "apprise"
# The HTTP client apprise posts with logs each request's path, a channel's token included, at DEBUG.
QUIET_LOGGERS = ["urllib3.connectionpool", "requests_oauthlib"]
MIN_SECRET_PART = 3
_posting = {}  # id: the URL being posted to, in any thread
_posting_lock = threading.Lock()


class WhilePosting(logging.Filter):
    """Cuts every part of the channel URLs being posted to out of a record's message."""

    def filter(self, record):
        with _posting_lock:
            urls = list(_posting.values())
        if urls:
            message = record.getMessage()
            for url in urls:
                message = redact(message, url)
            record.msg, record.args = message, ()
        return True


class ChannelError(Exception):
    """A message could not be posted; ``reason`` has the channel's secrets cut out."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def parse(url):
    """The apprise service for ``url``, or None if apprise cannot parse it."""
    if not isinstance(url, str) or not url.strip() or len(url) > 2000:
        return None
    try:
        return apprise.Apprise.instantiate(url.strip(), suppress_exceptions=True)
    except Exception:  # a plugin's parser may raise anything on odd input; unparsable is the answer
        return None


def load():
    """Import every apprise service's module now (about 0.3 s of CPU), which apprise does on the first URL it
    parses: a worker calls it when it starts, so its first chunk with a channel does not."""
    from apprise.manager_plugins import NotificationManager

    NotificationManager().load_modules()


def service_name(service):
    return str(getattr(service, "service_name", "") or type(service).__name__)[:60]


def hint(url):
    """What may be shown of ``url``: its scheme only, ``slack://…``."""
    scheme = url.split("://", 1)[0] if "://" in url else "?"
    return f"{scheme[:20]}://…"


def secret_parts(url):
    """Every part of ``url`` that may be a credential: host, user, password, path segments and query values."""
    try:
        parts = urlsplit(url.split("://", 1)[-1] if "://" in url else url)
        pieces = [parts.netloc, parts.path, parts.query]
        pieces += re.split(r"[/@:]", parts.netloc) + parts.path.split("/")
        pieces += [value for _name, value in parse_qsl(parts.query)]
    except ValueError:
        pieces = []
    pieces.append(url.split("://", 1)[-1])
    found = {unquote(piece) for piece in pieces} | set(pieces)
    return sorted((piece for piece in found if len(piece) >= MIN_SECRET_PART), key=len, reverse=True)


def redact(text, url):
    for piece in secret_parts(url):
        text = text.replace(piece, "…")
    return text


def post(url, title, body):
    """Post one message to the channel at ``url``; raises ChannelError with a redacted reason."""
    service = parse(url)
    if service is None:
        raise ChannelError("apprise cannot parse the channel's URL")
    notifier = apprise.Apprise()
    notifier.add(service)
    key = object()
    with apprise.LogCapture(level=logging.WARNING) as captured:
        with _posting_lock:
            _posting[id(key)] = url
        try:
            delivered = notifier.notify(title=title, body=body, body_format=apprise.NotifyFormat.TEXT)
        except Exception as exc:  # a plugin may raise; the error is recorded on the row (redacted) and retried
            raise ChannelError(redact(f"{type(exc).__name__}: {exc}", url)[:500]) from None
        finally:
            with _posting_lock:
                _posting.pop(id(key), None)
        log = captured.getvalue()
    if not delivered:
        lines = [line.split(" - ", 2)[-1] for line in log.strip().splitlines() if line.strip()]
        reason = "; ".join(lines[-2:]) or "the service refused the message"
        raise ChannelError(redact(f"{service_name(service)}: {reason}", url)[:500])
