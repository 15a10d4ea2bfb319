from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from statuspage.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/v1/", include("statuspage.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
]
