"""A release's words: the title and release summary customers read, set once for many windows and audited.

These are not part of the lifecycle (no status or time changes here), but every change is written to the audit
log like one, with the action ``edit``.
"""

from django.db import transaction
from django.utils import timezone

from maintenance import editing


def describe(windows, title, summary, translations=None, actor=None, reason="", now=None):
    """Give each of ``windows`` the ``title``, the English ``summary`` and ``translations`` ({language: summary}).

    Empty translations are dropped. Returns the windows that changed; an unchanged window gets no audit event.
    """
    now = now or timezone.now()
    translations = {code: text for code, text in (translations or {}).items() if (text or "").strip()}
    changed = []
    with transaction.atomic():
        for window in windows:
            diff = editing.edit_window(
                window,
                actor,
                reason,
                now,
                title=title,
                release_summary=summary,
                release_summary_translations=translations,
            )
            if diff:
                changed.append(window)
    return changed


def missing_words(window):
    """What an announcement of ``window`` would lack: a list with "title" and/or "summary"."""
    missing = []
    if not window.title.strip():
        missing.append("title")
    if not window.release_summary.strip():
        missing.append("summary")
    return missing
