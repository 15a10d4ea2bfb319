from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView

from statuspage import sla_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/v1/", include("statuspage.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("sla/", sla_views.sla_page, name="sla"),
    path("sla.csv", sla_views.sla_csv, name="sla-csv"),
]
