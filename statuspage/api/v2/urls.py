"""``/api/v2/``: every endpoint is served from the page cache, like the public pages."""

from django.urls import path

from statuspage.api.v2 import views
from statuspage.caching import cached_page

urlpatterns = [
    path("summary.json", cached_page(views.V2SummaryView.as_view()), name="v2-summary"),
    path("status.json", cached_page(views.V2StatusView.as_view()), name="v2-status"),
    path("components.json", cached_page(views.V2ComponentsView.as_view()), name="v2-components"),
    path(
        "incidents/unresolved.json",
        cached_page(views.V2UnresolvedIncidentsView.as_view()),
        name="v2-incidents-unresolved",
    ),
    path("incidents.json", cached_page(views.V2IncidentsView.as_view()), name="v2-incidents"),
    path(
        "scheduled-maintenances/upcoming.json",
        cached_page(views.V2UpcomingMaintenancesView.as_view()),
        name="v2-maintenances-upcoming",
    ),
    path(
        "scheduled-maintenances/active.json",
        cached_page(views.V2ActiveMaintenancesView.as_view()),
        name="v2-maintenances-active",
    ),
    path("scheduled-maintenances.json", cached_page(views.V2MaintenancesView.as_view()), name="v2-maintenances"),
]
