from django.contrib import admin
from django.http import JsonResponse
from django.urls import include, path
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from notifications import webhooks
from statuspage import badges, feeds, metrics, sla_views, views
from statuspage.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("statuspage.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("api/v2/", include("statuspage.api.v2.urls")),
    path("", views.status_page, name="status"),
    path("windows/<int:pk>/", views.window_detail, name="window-detail"),
    path("history/", views.history, name="history"),
    path("feeds/maintenance.ics", feeds.all_regions_ics, name="feed-ics"),
    path("feeds/maintenance.atom", feeds.atom, name="feed-atom"),
    path("feeds/maintenance.rss", feeds.rss, name="feed-rss"),
    path("feeds/<slug:slug>.ics", feeds.region_ics, name="feed-region-ics"),
    # The language switcher posts here from cached pages, which carry no per-visitor CSRF token; switching the
    # language is harmless, so the view is exempt.
    path("i18n/setlang/", csrf_exempt(set_language), name="set_language"),
    path("sla/", sla_views.sla_page, name="sla"),
    path("sla.csv", sla_views.sla_csv, name="sla-csv"),
    path("metrics", metrics.metrics, name="metrics"),
    path("badge.svg", badges.badge, name="badge"),
    path("badge/<slug:slug>.svg", badges.region_badge, name="region-badge"),
    path("", include("notifications.urls")),
    path("", include("endpoints.urls")),
    # Only the configured ESP's tracking webhook, only with its secret (notifications.webhooks): closed by default.
    path("anymail/<slug:esp>/tracking/", webhooks.tracking, name="anymail-tracking"),
]


def not_found(request, exception):
    """A 404 in the API's own format (JSON with a ``detail``) under /api/, the HTML page elsewhere. With DEBUG on,
    Django shows its technical 404 page instead."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found
