"""The shapes of Statuspage's API v2 responses, with its field names and value sets."""

from datetime import UTC

from drf_spectacular.utils import extend_schema_serializer
from rest_framework import serializers

COMPONENT_STATUSES = ["operational", "degraded_performance", "partial_outage", "major_outage", "under_maintenance"]


class Time(serializers.DateTimeField):
    """Statuspage's time format: ``2026-11-28T21:00:00.000Z``."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@extend_schema_serializer(component_name="StatuspagePage")
class PageSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    url = serializers.URLField()
    time_zone = serializers.CharField()
    updated_at = Time()


@extend_schema_serializer(component_name="StatuspageIndicator")
class IndicatorSerializer(serializers.Serializer):
    indicator = serializers.ChoiceField(choices=["none", "minor", "major", "critical", "maintenance"])
    description = serializers.CharField()


@extend_schema_serializer(component_name="StatuspageComponent")
class ComponentSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=COMPONENT_STATUSES)
    created_at = Time()
    updated_at = Time()
    position = serializers.IntegerField()
    description = serializers.CharField(allow_null=True)
    showcase = serializers.BooleanField()
    start_date = serializers.DateField(allow_null=True)
    group_id = serializers.CharField(allow_null=True)
    page_id = serializers.CharField()
    group = serializers.BooleanField()
    only_show_if_degraded = serializers.BooleanField()


@extend_schema_serializer(component_name="StatuspageAffectedComponent")
class AffectedComponentSerializer(serializers.Serializer):
    """A component whose status this update concerns: ``code`` is the component's id."""

    code = serializers.CharField()
    name = serializers.CharField()
    old_status = serializers.ChoiceField(choices=COMPONENT_STATUSES)
    new_status = serializers.ChoiceField(choices=COMPONENT_STATUSES)


@extend_schema_serializer(component_name="StatuspageUpdate")
class UpdateSerializer(serializers.Serializer):
    id = serializers.CharField()
    status = serializers.CharField()
    body = serializers.CharField()
    incident_id = serializers.CharField()
    created_at = Time()
    updated_at = Time()
    display_at = Time()
    affected_components = AffectedComponentSerializer(many=True)
    # Whether subscribers were sent a notice for this update.
    deliver_notifications = serializers.BooleanField()
    # Offpeak posts nothing to Twitter/X: both are always null.
    custom_tweet = serializers.CharField(allow_null=True)
    tweet_id = serializers.CharField(allow_null=True)


@extend_schema_serializer(component_name="StatuspageIncident")
class StatuspageIncidentSerializer(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField()
    status = serializers.ChoiceField(choices=["investigating", "identified", "monitoring", "resolved", "postmortem"])
    impact = serializers.ChoiceField(choices=["none", "minor", "major", "critical", "maintenance"])
    created_at = Time()
    updated_at = Time()
    monitoring_at = Time(allow_null=True)
    resolved_at = Time(allow_null=True)
    started_at = Time()
    shortlink = serializers.URLField()
    page_id = serializers.CharField()
    incident_updates = UpdateSerializer(many=True)
    components = ComponentSerializer(many=True)


@extend_schema_serializer(component_name="StatuspageMaintenance")
class MaintenanceSerializer(StatuspageIncidentSerializer):
    status = serializers.ChoiceField(choices=["scheduled", "in_progress", "verifying", "completed"])
    scheduled_for = Time()
    scheduled_until = Time()


class StatusResponse(serializers.Serializer):
    page = PageSerializer()
    status = IndicatorSerializer()


class ComponentsResponse(serializers.Serializer):
    page = PageSerializer()
    components = ComponentSerializer(many=True)


class IncidentsResponse(serializers.Serializer):
    page = PageSerializer()
    incidents = StatuspageIncidentSerializer(many=True)


class MaintenancesResponse(serializers.Serializer):
    page = PageSerializer()
    scheduled_maintenances = MaintenanceSerializer(many=True)


class SummaryResponse(serializers.Serializer):
    page = PageSerializer()
    components = ComponentSerializer(many=True)
    incidents = StatuspageIncidentSerializer(many=True)
    scheduled_maintenances = MaintenanceSerializer(many=True)
    status = IndicatorSerializer()
