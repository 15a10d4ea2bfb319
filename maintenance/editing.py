"""Edits of a window's own words and automatic flags: the fields the lifecycle does not own.

The admin's change form, ``release.describe`` and the API's ``PATCH /api/v1/windows/<id>/`` call ``edit_window``;
status and times stay with ``lifecycle``. Each edit that changes something writes one audit event
(``action="edit"``) with the old and new value of each field, like the lifecycle's, and sends ``window_changed``
once it has committed, so cached pages show the new words.
"""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from maintenance import audit
from maintenance.models import Window
from maintenance.signals import window_changed
from maintenance.validators import validate_one_line_title

EDITABLE = ("title", "release_summary", "release_summary_translations", "auto_start", "auto_complete")


def edit_window(window, actor=None, reason="", now=None, **changes):
    """Set the given EDITABLE fields; returns the audited ``{field: [old, new]}`` ({} when nothing changed).

    Any status may be edited: a completed window's summary is its release note.
    """
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise ValueError(f"Not editable here: {', '.join(unknown)} (status and times change through the lifecycle).")
    if "title" in changes:
        try:
            changes["title"] = validate_one_line_title(changes["title"])
        except ValidationError as exc:
            raise ValidationError({"title": exc.messages}) from None
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
            transaction.on_commit(partial(_tell, current.pk, current.sequence))
    for field, (_old, new) in diff.items():
        setattr(window, field, new)
    return diff


def _tell(window_id, sequence):
    window_changed.send_robust(sender=Window, window_id=window_id, action="edit", sequence=sequence)
