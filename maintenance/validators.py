"""Checks on text that several doors into the app share: the admin, the API and the subscription forms.

This module sits at the bottom of the apps (``statuspage`` → ``notifications`` → ``maintenance``), so each of them
may import it; it imports nothing of theirs.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# CR, LF, NUL, the other C0 controls, DEL and the Unicode line breaks: any of them could smuggle a header into a
# message or split a line of a feed or a calendar.
LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029\u0085]")


def has_unsafe_characters(value):
    """True when ``value`` is text holding a line break or a control character."""
    return isinstance(value, str) and bool(LINE_BREAK_OR_CONTROL.search(value))


def validate_one_line_title(value):
    """A title is one line: it becomes an email subject, a feed title and a calendar summary."""
    if has_unsafe_characters(value):
        raise ValidationError(_("A title is one line, without line breaks or control characters."), code="one_line")
    return value
