"""One view class per ``/api/v2/`` endpoint: each names its response shape, its summary and what it reads.

They are public and read-only, like Statuspage's, and take no parameters (any query string is ignored). Each
response is built from one :class:`~statuspage.api.v2.snapshot.Snapshot`, so its parts agree with each other.
They answer in the site's default language whatever the request asks for (:func:`in_site_language`).
"""

from functools import wraps

from django.conf import settings
from django.utils import timezone, translation
from drf_spectacular.openapi import AutoSchema
from rest_framework.response import Response
from rest_framework.views import APIView

from statuspage.api.v2.serializers import (
    ComponentsResponse,
    IncidentsResponse,
    MaintenancesResponse,
    StatusResponse,
    SummaryResponse,
)
from statuspage.api.v2.snapshot import Snapshot


def in_site_language(view):
    """Serve ``view`` in the site's default language (LANGUAGE_CODE), whatever Accept-Language or the language
    cookie ask for: consumers of /api/v2/ key their series on names and bodies, which must not change with the
    visitor. The pages stay localized."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        with translation.override(settings.LANGUAGE_CODE):
            request.LANGUAGE_CODE = settings.LANGUAGE_CODE
            response = view(request, *args, **kwargs)
        response["Content-Language"] = settings.LANGUAGE_CODE
        return response

    return wrapper


class StatuspageSchema(AutoSchema):
    """The OpenAPI operation of a :class:`StatuspageView`, read from the attributes the view declares."""

    def get_operation_id(self):
        return self.view.operation_id

    def get_summary(self):
        return self.view.summary

    def get_description(self):
        return (
            "Compatible with Statuspage's public API v2 (same field names and value sets). "
            "Takes no parameters; any query string is ignored."
        )

    def get_tags(self):
        return ["statuspage-v2"]

    def get_response_serializers(self):
        return {200: self.view.response_serializer}


class StatuspageView(APIView):
    """An endpoint of Statuspage's API v2. Subclasses declare the attributes below and build ``payload``."""

    authentication_classes = []  # public and read-only, like Statuspage's
    schema = StatuspageSchema()
    response_serializer = None
    operation_id = None
    summary = None

    def get(self, request):
        return Response(self.response_serializer(self.payload(Snapshot(timezone.now()))).data)

    def payload(self, snapshot):
        raise NotImplementedError


class V2SummaryView(StatuspageView):
    response_serializer = SummaryResponse
    operation_id = "v2_summary"
    summary = "Summary: page, indicator, components, unresolved incidents, upcoming and active maintenances"

    def payload(self, snapshot):
        return {
            "page": snapshot.page(),
            "components": list(snapshot.components.values()),
            "incidents": snapshot.incidents(unresolved=True),
            "scheduled_maintenances": snapshot.maintenances("open"),
            "status": snapshot.status(),
        }


class V2StatusView(StatuspageView):
    response_serializer = StatusResponse
    operation_id = "v2_status"
    summary = "The page's status indicator"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "status": snapshot.status()}


class V2ComponentsView(StatuspageView):
    response_serializer = ComponentsResponse
    operation_id = "v2_components"
    summary = "Components: one per region"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "components": list(snapshot.components.values())}


class V2IncidentsView(StatuspageView):
    response_serializer = IncidentsResponse
    operation_id = "v2_incidents"
    summary = "The 50 most recent incidents"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "incidents": snapshot.incidents()}


class V2UnresolvedIncidentsView(StatuspageView):
    response_serializer = IncidentsResponse
    operation_id = "v2_incidents_unresolved"
    summary = "Unresolved incidents"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "incidents": snapshot.incidents(unresolved=True)}


class V2MaintenancesView(StatuspageView):
    response_serializer = MaintenancesResponse
    operation_id = "v2_scheduled_maintenances"
    summary = "The 50 most recent scheduled maintenances (announced windows)"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "scheduled_maintenances": snapshot.maintenances()}


class V2UpcomingMaintenancesView(StatuspageView):
    response_serializer = MaintenancesResponse
    operation_id = "v2_scheduled_maintenances_upcoming"
    summary = "Upcoming scheduled maintenances (announced windows not started yet)"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "scheduled_maintenances": snapshot.maintenances("upcoming")}


class V2ActiveMaintenancesView(StatuspageView):
    response_serializer = MaintenancesResponse
    operation_id = "v2_scheduled_maintenances_active"
    summary = "Active scheduled maintenances (windows in progress)"

    def payload(self, snapshot):
        return {"page": snapshot.page(), "scheduled_maintenances": snapshot.maintenances("active")}
