"""Edits of a window's title, summary and automatic flags go through one service, and each lands in the audit log."""

import pytest

from maintenance import editing
from maintenance.models import AuditEvent, Window
from tests.conftest import NOW

pytestmark = pytest.mark.usefixtures("clock")
FORM = {"audit_events-TOTAL_FORMS": "0", "audit_events-INITIAL_FORMS": "0"}


def test_the_admin_change_form_writes_one_audit_event_with_old_and_new_values(client, manager, window):
    assert (window.title, window.auto_start, window.auto_complete) == ("", True, False)
    client.force_login(manager)
    url = f"/admin/maintenance/window/{window.pk}/change/"
    data = {**FORM, "title": "November release", "release_summary": "Faster search.", "auto_complete": "on"}
    assert client.post(url, data).status_code == 302

    [event] = AuditEvent.objects.filter(window=window, action="edit")
    assert (event.actor, event.actor_label, event.created_at) == (manager, "release-manager", NOW)
    assert event.changes == {
        "title": ["", "November release"],
        "release_summary": ["", "Faster search."],
        "auto_start": [True, False],
        "auto_complete": [False, True],
    }
    # The same form again changes nothing and writes nothing.
    assert client.post(url, data).status_code == 302
    assert AuditEvent.objects.filter(window=window, action="edit").count() == 1


def test_the_service_edits_only_text_and_flags(window):
    with pytest.raises(ValueError, match="status"):
        editing.edit_window(window, actor="api", status=Window.Status.COMPLETED)
    assert editing.edit_window(window, actor="api", auto_start=False) == {"auto_start": [True, False]}
    assert Window.objects.get(pk=window.pk).auto_start is False
    assert AuditEvent.objects.get(window=window, action="edit").actor_label == "api"


def test_the_public_window_page_lists_lifecycle_events_not_edits(client, window):
    from maintenance import lifecycle

    editing.edit_window(window, actor="rm", title="November release")
    lifecycle.announce(window, now=NOW)
    page = client.get(f"/windows/{window.pk}/").content.decode()
    assert page.count('<li id="event-') == 1 and "<strong>Announced</strong>" in page
