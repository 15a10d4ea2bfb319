"""Edits of a window's words: its title and release summary. Times and status belong to ``lifecycle``.

The API's ``PATCH /api/v1/windows/<id>/`` calls ``edit_text``; each change is written with its audit event in one
transaction and ``window_changed`` is sent once it has committed, so cached pages show the new words.
"""

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import audit
from maintenance.models import Window
from maintenance.signals import window_changed
from maintenance.validators import validate_one_line_title

TEXT_FIELDS = ("title", "release_summary")


def edit_text(window, actor=None, reason="", now=None, **values):
    """Set ``title`` and/or ``release_summary``; returns ``(window, changed, message)``. Any status may be edited:
    a completed window's summary is its release note."""
    unknown = set(values) - set(TEXT_FIELDS)
    if unknown:
        raise TypeError(f"edit_text() sets only {', '.join(TEXT_FIELDS)}; got {', '.join(sorted(unknown))}")
    if "title" in values:
        try:
            validate_one_line_title(values["title"])
        except ValidationError as exc:
            raise ValidationError({"title": exc.messages}) from None
    now = now or timezone.now()
    with transaction.atomic():
        window = Window.objects.select_for_update(of=("self",)).select_related("region").get(pk=window.pk)
        diff = {}
        for field, new in values.items():
            old = getattr(window, field)
            if old != new:
                diff[field] = [old, new]
                setattr(window, field, new)
        if not diff:
            return window, False, _("The window already reads so.")
        window.save(update_fields=[*diff, "updated_at"])
        audit.record(actor, "edit", diff, now, reason, window=window)
        transaction.on_commit(partial(_tell, window.pk, window.sequence))
    return window, True, _("Saved.")


def _tell(window_id, sequence):
    window_changed.send_robust(sender=Window, window_id=window_id, action="edit", sequence=sequence)
