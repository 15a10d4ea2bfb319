"""Edits of a window's own text and automatic flags: the fields the lifecycle does not own.

The admin's change form and ``release.describe`` call ``edit_window``; status and times stay with ``lifecycle``.
Each edit that changes something writes one audit event (``action="edit"``) with the old and new value of each
field, like the lifecycle's.
"""

from django.db import transaction
from django.utils import timezone

from maintenance import audit
from maintenance.models import Window
from maintenance.validators import validate_one_line_title

EDITABLE = ("title", "release_summary", "release_summary_translations", "auto_start", "auto_complete")


def edit_window(window, actor=None, reason="", now=None, **changes):
    """Set the given EDITABLE fields; returns the audited ``{field: [old, new]}`` ({} when nothing changed)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(unknown)} (status and times change through the lifecycle).")
    if "title" in changes:
        changes["title"] = validate_one_line_title(changes["title"])
    now = now or timezone.now()
    with transaction.atomic():
        current = Window.objects.select_for_update(of=("self",)).get(pk=window.pk)
        diff = {}
        for field, new in changes.items():
            old = getattr(current, field)
            if old != new:
                diff[field] = [old, new]
                setattr(current, field, new)
        if diff:
            current.save(update_fields=[*diff, "updated_at"])
            audit.record(actor, "edit", diff, now, reason, window=current)
    for field, (_old, new) in diff.items():
        setattr(window, field, new)
    return diff
