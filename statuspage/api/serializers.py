from datetime import timedelta

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from maintenance import rule
from maintenance.lifecycle import MAX_EXTENSION_MINUTES
from maintenance.models import Region, Window


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "22:00"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time shown as HH:MM (OpenAPI's `time` format wants seconds and an offset)."""


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2027-03"})
class MonthField(serializers.DateField):
    """A calendar month shown as YYYY-MM (not a `date`)."""


@extend_schema_field({"type": "string", "pattern": r"\S"})
class TextField(serializers.CharField):
    """Required text: surrounding spaces are trimmed, so it must hold at least one non-space character."""


class RegionSerializer(serializers.ModelSerializer):
    offpeak_start = ClockTimeField(format="%H:%M", help_text="Off-peak local start, HH:MM.")

    class Meta:
        model = Region
        fields = ["slug", "name", "timezone", "offpeak_start", "window_minutes", "active", "position"]


class WindowSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    month = MonthField(format="%Y-%m", help_text="The region's local month this window serves.")
    overrunning = serializers.SerializerMethodField(help_text="In progress past its announced end.")

    class Meta:
        model = Window
        fields = [
            "id",
            "region",
            "month",
            "starts_at",
            "ends_at",
            "status",
            "sequence",
            "title",
            "release_summary",
            "actual_start",
            "actual_end",
            "announced_at",
            "announced_ends_at",
            "overrunning",
            "auto_start",
            "auto_complete",
            "edited_by_hand",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_overrunning(self, window) -> bool:
        return window.is_overrunning(timezone.now())


class ActionSerializer(serializers.Serializer):
    """The body of announce, start, complete and cancel: an optional reason for the audit log."""

    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")


class StartSerializer(ActionSerializer):
    force = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Start more than START_LEAD_MINUTES before the window's start; needs a `reason`.",
    )


class RescheduleSerializer(ActionSerializer):
    starts_at = serializers.DateTimeField(help_text="New start, ISO 8601 with a UTC offset.")
    ends_at = serializers.DateTimeField(
        help_text="New end, ISO 8601 with a UTC offset; 1 to 60 minutes after the start."
    )

    def validate(self, attrs):
        minutes = (attrs["ends_at"] - attrs["starts_at"]) / timedelta(minutes=1)
        if not rule.MIN_MINUTES <= minutes <= rule.MAX_MINUTES:
            raise serializers.ValidationError(
                {
                    "ends_at": [
                        f"A window lasts {rule.MIN_MINUTES} to {rule.MAX_MINUTES} minutes; asked for {minutes:g}."
                    ]
                }
            )
        return attrs


class ExtendSerializer(ActionSerializer):
    minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_EXTENSION_MINUTES, help_text="Minutes to add to the end."
    )


class WindowActionResponseSerializer(WindowSerializer):
    message = serializers.CharField(help_text="What happened, e.g. 'Started.' or 'The window is already started.'")

    class Meta(WindowSerializer.Meta):
        fields = [*WindowSerializer.Meta.fields, "message"]
        read_only_fields = fields
