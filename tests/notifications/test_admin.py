import csv
import importlib
import io
import itertools
import sys

import pytest
from django.contrib import admin
from django.utils import timezone

from maintenance.admin import WindowAdmin
from maintenance.csvexport import safe_cell
from maintenance.models import Window
from notifications.admin import WindowNotificationsMixin
from notifications.models import Delivery, Subscriber

APPS = ["maintenance", "notifications", "statuspage"]
ADMINS = {
    "maintenance.Region": "RegionAdmin",
    "maintenance.Freeze": "FreezeAdmin",
    "maintenance.Window": "SiteWindowAdmin",
    "maintenance.Incident": "IncidentAdmin",
    "maintenance.AuditEvent": "AuditEventAdmin",
    "notifications.Subscriber": "SubscriberAdmin",
    "notifications.Delivery": "DeliveryAdmin",
    "notifications.Suppression": "SuppressionAdmin",
    "statuspage.ApiToken": "ApiTokenAdmin",
}
WINDOW_URLS = ["reschedule", "extend", "preview_email", "preview_email_html"]


def window_admin_features(model_admin):
    names = {pattern.name for pattern in model_admin.get_urls()}
    return {
        "fields": [name for name in ("fanout_progress", "email_preview") if name in model_admin.fields],
        "read-only": [name for name in ("fanout_progress", "email_preview") if name in model_admin.readonly_fields],
        "urls": [name for name in WINDOW_URLS if f"maintenance_window_{name}" in names],
        "actions": [name for name in ("announce_windows", "cancel_windows") if name in model_admin.actions],
    }


FULL_WINDOW_ADMIN = {
    "fields": ["fanout_progress", "email_preview"],
    "read-only": ["fanout_progress", "email_preview"],
    "urls": WINDOW_URLS,
    "actions": ["announce_windows", "cancel_windows"],
}


def test_the_site_has_one_window_admin_with_lifecycle_controls_preview_and_progress():
    registered = {model._meta.label: type(model_admin).__name__ for model, model_admin in admin.site._registry.items()}
    assert {label: name for label, name in registered.items() if label.split(".")[0] in APPS} == ADMINS
    window_admin = admin.site._registry[Window]
    assert isinstance(window_admin, WindowAdmin) and isinstance(window_admin, WindowNotificationsMixin)
    assert window_admin_features(window_admin) == FULL_WINDOW_ADMIN


@pytest.mark.parametrize("order", list(itertools.permutations(APPS)))
def test_each_model_is_registered_once_whatever_order_the_apps_load_in(monkeypatch, order):
    """Importing the apps' admin modules afresh, in every order, into an empty site: a second registration of a
    model would raise AlreadyRegistered, and the window admin comes out the same."""
    site = admin.AdminSite()
    monkeypatch.setattr(admin.sites, "site", site)
    monkeypatch.setattr(admin, "site", site)
    for name in [name for name in sys.modules if name.split(".")[:2] in ([app, "admin"] for app in APPS)]:
        monkeypatch.delitem(sys.modules, name)
    for app in APPS:
        monkeypatch.setattr(sys.modules[app], "admin", getattr(sys.modules[app], "admin", None), raising=False)
    for app in order:
        importlib.import_module(f"{app}.admin")
    registered = {model._meta.label: type(model_admin).__name__ for model, model_admin in site._registry.items()}
    assert registered == ADMINS
    assert window_admin_features(site._registry[Window]) == FULL_WINDOW_ADMIN


def test_csv_export_neutralises_formula_cells(admin_client, make_subscriber):
    make_subscriber("=cmd|'/c calc'!A1@example.com", timezone="")
    make_subscriber("ada@example.com")
    ids = list(Subscriber.objects.values_list("id", flat=True))
    response = admin_client.post("/admin/notifications/subscriber/", {"action": "export_csv", "_selected_action": ids})
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["email", "state", "regions"]
    assert sorted(row[0] for row in rows[1:]) == ["'=cmd|'/c calc'!A1@example.com", "ada@example.com"]
    assert [safe_cell(v) for v in ("+1", "-1", "@x", "plain")] == ["'+1", "'-1", "'@x", "plain"]


def test_suppress_action_suppresses_the_selection(admin_client, make_subscriber):
    ada = make_subscriber()
    response = admin_client.post(
        "/admin/notifications/subscriber/", {"action": "suppress", "_selected_action": [ada.pk]}, follow=True
    )
    assert response.status_code == 200
    ada.refresh_from_db()
    assert (ada.state, ada.state_reason) == ("suppressed", "suppressed by admin")


def test_window_page_shows_fan_out_progress_and_preview_links(admin_client, window, make_subscriber):
    for n, status in enumerate(["sent", "sent", "pending", "failed", "skipped"]):
        subscriber = make_subscriber(f"p{n}@example.com")
        Delivery.objects.create(
            window=window,
            subscriber=subscriber,
            kind="announcement",
            sequence=1,
            status=status,
            created_at=timezone.now(),
        )
    page = admin_client.get(f"/admin/maintenance/window/{window.pk}/change/").content.decode()
    assert "2 sent, 1 pending, 1 failed (1 skipped or suppressed) of 5" in page
    assert f"/admin/maintenance/window/{window.pk}/preview-email/?kind=announcement&amp;language=de" in page


def test_deliveries_list_filters_by_window_kind_and_status(admin_client, window, make_subscriber):
    ada = make_subscriber()
    Delivery.objects.create(window=window, subscriber=ada, kind="announcement", sequence=1, created_at=timezone.now())
    Delivery.objects.create(
        window=window,
        subscriber=ada,
        kind="reminder",
        sequence=1,
        lead_minutes=60,
        status="sent",
        created_at=timezone.now(),
    )
    response = admin_client.get(
        "/admin/notifications/delivery/",
        {"window__id__exact": window.pk, "kind__exact": "reminder", "status__exact": "sent"},
    )
    assert response.status_code == 200
    assert [d.kind for d in response.context["cl"].result_list] == ["reminder"]


def test_email_preview_frames_the_html_part_with_only_inline_styles_allowed(admin_client, window):
    page = admin_client.get(f"/admin/maintenance/window/{window.pk}/preview-email/?kind=announcement&language=de")
    assert page.status_code == 200
    html_url = f"/admin/maintenance/window/{window.pk}/preview-email/html/?kind=announcement&amp;language=de"
    assert f'src="{html_url}"' in page.content.decode()
    assert "style=" not in page.content.decode().split("<body", 1)[1]  # the page itself obeys the site's CSP

    part = admin_client.get(html_url.replace("&amp;", "&"))
    assert part.status_code == 200 and part["Content-Type"] == "text/html; charset=utf-8"
    assert '<html lang="de">' in part.content.decode() and "Abmelden" in part.content.decode()
    assert part["X-Frame-Options"] == "SAMEORIGIN"
    policy = dict(item.strip().split(" ", 1) for item in part["Content-Security-Policy"].split(";"))
    assert policy["style-src"] == "'unsafe-inline'"
    assert policy["script-src"] == "'none'" and policy["default-src"] == "'none'"
