"""Mail backends of our own: the embedded default (files and console), and two for measuring and testing."""

import logging
import os
import threading
import time

from django.conf import settings
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend

logger = logging.getLogger(__name__)


class FileAndConsoleBackend(BaseEmailBackend):
    """Write each message to a file in EMAIL_FILE_PATH (var/outbox/) and one summary line per message to the log.

    The console gets no whole mail: its links carry signed tokens, and a worker's console ends up in log stores.
    The file in var/outbox/ is the place to read a mail in development.
    """

    def __init__(self, fail_silently=False, **kwargs):
        super().__init__(fail_silently=fail_silently)
        self.file = FileBackend(fail_silently=fail_silently, **kwargs)

    def open(self):
        return self.file.open()

    def close(self):
        self.file.close()

    def send_messages(self, email_messages):
        sent = self.file.send_messages(email_messages)
        where = getattr(self.file, "_fname", None) or self.file.file_path
        for message in email_messages:
            logger.info(
                "mail %s to %d recipient(s), subject %r, written to %s",
                message.extra_headers.get("Message-ID", "-"),
                len(message.recipients()),
                message.subject,
                where,
            )
        return sent


class CountingBackend(BaseEmailBackend):
    """Counts messages and sends nothing: for measuring the fan-out itself.

    With EMAIL_COUNT_SERIALIZE=1 it also turns each message into its MIME bytes, as Django's SMTP backend does.
    """

    count = 0
    bytes = 0
    _lock = threading.Lock()

    def send_messages(self, email_messages):
        size = 0
        if os.environ.get("EMAIL_COUNT_SERIALIZE") == "1":
            size = sum(len(message.message().as_bytes(linesep="\r\n")) for message in email_messages)
        with self._lock:
            CountingBackend.count += len(email_messages)
            CountingBackend.bytes += size
        return len(email_messages)


class RecordingBackend(BaseEmailBackend):
    """Append one line per message (Message-ID and recipient) to EMAIL_RECORD_FILE.

    For tests that count, from another process, what a worker handed over. EMAIL_RECORD_DELAY (seconds) slows
    each message down so that a test can stop the worker in the middle of a fan-out.
    """

    def send_messages(self, email_messages):
        path = os.environ.get("EMAIL_RECORD_FILE") or getattr(settings, "EMAIL_RECORD_FILE", "")
        delay = float(os.environ.get("EMAIL_RECORD_DELAY") or 0)
        with open(path, "a", encoding="utf-8") as out:
            for message in email_messages:
                if delay:
                    time.sleep(delay)
                out.write(f"{message.extra_headers.get('Message-ID')} {','.join(message.to)}\n")
                out.flush()
        return len(email_messages)
