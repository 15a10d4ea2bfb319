"""A release's words: the title and release summary customers read, set once for many windows and audited.

These are not part of the lifecycle (no status or time changes here), but every change is written to the audit
log like one, with the action ``edit``.
"""

from django.db import transaction
from django.utils import timezone

from maintenance import audit
from maintenance.models import Window
from maintenance.validators import validate_one_line_title


def describe(windows, title, summary, translations=None, actor=None, reason="", now=None):
    """Give each of ``windows`` the ``title``, the English ``summary`` and ``translations`` ({language: summary}).

    Empty translations are dropped. Returns the windows that changed; an unchanged window gets no audit event.
    """
    now = now or timezone.now()
    title = validate_one_line_title(title)
    translations = {code: text for code, text in (translations or {}).items() if (text or "").strip()}
    changed = []
    with transaction.atomic():
        for window in Window.objects.select_for_update(of=("self",)).filter(pk__in=[w.pk for w in windows]):
            wanted = {"title": title, "release_summary": summary, "release_summary_translations": translations}
            diff = {
                field: [getattr(window, field), new] for field, new in wanted.items() if getattr(window, field) != new
            }
            if not diff:
                continue
            for field, (_old, new) in diff.items():
                setattr(window, field, new)
            window.save(update_fields=[*diff, "updated_at"])
            audit.record(actor, "edit", diff, now, reason, window=window)
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
