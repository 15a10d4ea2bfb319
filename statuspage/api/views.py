from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import viewsets

from maintenance.models import Region, Window
from statuspage.api.filters import WindowFilter
from statuspage.api.serializers import RegionSerializer, WindowSerializer

BAD_FILTER = OpenApiResponse(description="A filter value is invalid; `detail` says which.")
NOT_FOUND = OpenApiResponse(description="No such object.")


@extend_schema_view(
    list=extend_schema(summary="List regions", description="Every region with its zone and off-peak rule."),
    retrieve=extend_schema(summary="One region", responses={200: RegionSerializer, 404: NOT_FOUND}),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends = []


@extend_schema_view(
    list=extend_schema(
        summary="List windows",
        description="Release windows, earliest first. Times are UTC.",
        responses={200: WindowSerializer(many=True), 400: BAD_FILTER},
    ),
    retrieve=extend_schema(summary="One window", responses={200: WindowSerializer, 404: NOT_FOUND}),
)
class WindowViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Window.objects.select_related("region").order_by("starts_at", "id")
    serializer_class = WindowSerializer
    filterset_class = WindowFilter
