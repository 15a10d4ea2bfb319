"""``/api/v2/``: every endpoint is served from the page cache, like the public pages, in the site's language."""

from django.urls import path

from statuspage.api.v2 import views
from statuspage.caching import cached_page


def served(view):
    """A v2 view as it is served: from the page cache, in the site's default language."""
    return views.in_site_language(cached_page(view))


urlpatterns = [
    path("summary.json", served(views.V2SummaryView.as_view()), name="v2-summary"),
    path("status.json", served(views.V2StatusView.as_view()), name="v2-status"),
    path("components.json", served(views.V2ComponentsView.as_view()), name="v2-components"),
    path(
        "incidents/unresolved.json",
        served(views.V2UnresolvedIncidentsView.as_view()),
        name="v2-incidents-unresolved",
    ),
    path("incidents.json", served(views.V2IncidentsView.as_view()), name="v2-incidents"),
    path(
        "scheduled-maintenances/upcoming.json",
        served(views.V2UpcomingMaintenancesView.as_view()),
        name="v2-maintenances-upcoming",
    ),
    path(
        "scheduled-maintenances/active.json",
        served(views.V2ActiveMaintenancesView.as_view()),
        name="v2-maintenances-active",
    ),
    path("scheduled-maintenances.json", served(views.V2MaintenancesView.as_view()), name="v2-maintenances"),
]
