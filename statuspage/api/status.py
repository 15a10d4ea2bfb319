"""``GET /api/v1/status/``: the overall state and each region's state and next window."""

from datetime import timedelta

from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from maintenance.models import Region, Window
from maintenance.state import RegionState, region_states, worst
from statuspage.board import HORIZON_DAYS

NOT_FOUND = OpenApiResponse(description="No region has this slug; `detail` says so.")


class NextWindowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    starts_at = serializers.DateTimeField(help_text="UTC.")
    ends_at = serializers.DateTimeField(help_text="UTC.")
    status = serializers.ChoiceField(choices=Window.Status.choices, help_text="planned means tentative.")
    sequence = serializers.IntegerField()
    title = serializers.CharField(source="display_title")


class RegionStatusSerializer(serializers.Serializer):
    slug = serializers.SlugField()
    name = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA time zone of the region.")
    state = serializers.ChoiceField(choices=RegionState.choices)
    description = serializers.CharField(help_text="The state in words, in the request's language.")
    next_window = NextWindowSerializer(allow_null=True, help_text="The next window that has not ended, or null.")


class StatusSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=RegionState.choices, help_text="The worst state over all regions.")
    description = serializers.CharField()
    checked_at = serializers.DateTimeField()
    regions = RegionStatusSerializer(many=True)


def region_rows(now, regions=None):
    states = region_states(now, regions)
    upcoming = (
        Window.objects.filter(
            region__in=list(states), ends_at__gt=now, starts_at__lt=now + timedelta(days=HORIZON_DAYS)
        )
        .exclude(status=Window.Status.CANCELLED)
        .order_by("starts_at", "id")
    )
    next_of = {}
    for window in upcoming:
        next_of.setdefault(window.region_id, window)
    rows = [
        {
            "slug": region.slug,
            "name": region.name,
            "timezone": region.timezone,
            "state": state,
            "description": str(RegionState(state).label),
            "next_window": next_of.get(region.pk),
        }
        for region, state in states.items()
    ]
    return states, rows


class StatusView(APIView):
    authentication_classes = []  # public and read-only

    @extend_schema(
        summary="State now",
        description="The overall state (the worst of all regions) and each active region's state and next window. "
        "States: operational, under_maintenance, degraded_performance, overrunning (a window still in progress "
        "past its end), partial_outage, major_outage.",
        responses={200: StatusSerializer},
        tags=["status"],
        operation_id="status_retrieve",
    )
    def get(self, request):
        now = timezone.now()
        states, rows = region_rows(now)
        overall = worst(states.values())
        payload = {"state": overall, "description": str(RegionState(overall).label), "checked_at": now, "regions": rows}
        return Response(StatusSerializer(payload).data)


class RegionStatusView(APIView):
    authentication_classes = []

    @extend_schema(
        summary="One region's state now",
        responses={200: RegionStatusSerializer, 404: NOT_FOUND},
        tags=["status"],
        operation_id="status_region_retrieve",
    )
    def get(self, request, slug):
        region = get_object_or_404(Region, slug=slug)
        _, rows = region_rows(timezone.now(), Region.objects.filter(pk=region.pk))
        return Response(RegionStatusSerializer(rows[0]).data)
