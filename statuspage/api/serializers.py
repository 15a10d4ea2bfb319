from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from maintenance import bounds, rule
from maintenance.models import Region, Window
from maintenance.validators import validate_one_line_title

NEEDS_OFFSET = _("Give the time with a UTC offset, e.g. 2027-01-30T14:00:00Z or 2027-01-30T23:00:00+09:00.")


@extend_schema_field({"type": "string", "pattern": r"^([01][0-9]|2[0-3]):[0-5][0-9]$", "example": "22:00"})
class ClockTimeField(serializers.TimeField):
    """A wall-clock time shown as HH:MM (OpenAPI's `time` format wants seconds and an offset)."""


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2027-03"})
class MonthField(serializers.DateField):
    """A calendar month shown as YYYY-MM (not a `date`)."""


@extend_schema_field({"type": "string", "pattern": r"\S"})
class TextField(serializers.CharField):
    """Required text: surrounding spaces are trimmed, so it must hold at least one non-space character."""


class OffsetDateTimeField(serializers.DateTimeField):
    """An ISO 8601 date-time that states its UTC offset: without one it is refused, never taken as UTC."""

    def to_internal_value(self, value):
        if isinstance(value, str):
            parsed = _parse(value)
            if parsed is not None and parsed.tzinfo is None:
                raise serializers.ValidationError(NEEDS_OFFSET, code="offset")
        return super().to_internal_value(value)


def _parse(text):
    try:
        return parse_datetime(text.strip())
    except (ValueError, OverflowError):
        return None


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
    starts_at = OffsetDateTimeField(
        help_text=f"New start, ISO 8601 with a UTC offset; in the future and at most "
        f"{bounds.MAX_MONTHS_AHEAD} months ahead."
    )
    ends_at = OffsetDateTimeField(
        help_text=f"New end, ISO 8601 with a UTC offset; {rule.MIN_MINUTES} to {rule.MAX_MINUTES} minutes after the "
        "start."
    )

    def validate(self, attrs):
        try:
            bounds.check_new_times(attrs["starts_at"], attrs["ends_at"], timezone.now())
        except bounds.TimesError as exc:
            raise serializers.ValidationError({exc.field: [str(exc)]}) from None
        return attrs


class ExtendSerializer(ActionSerializer):
    minutes = serializers.IntegerField(
        min_value=1,
        max_value=bounds.MAX_EXTENSION_MINUTES,
        required=False,
        help_text="Minutes to add to the end. Each call adds them again: prefer `until`, or send an Idempotency-Key.",
    )
    until = OffsetDateTimeField(
        required=False,
        help_text=f"The new end, ISO 8601 with a UTC offset; repeating the call changes nothing. No window ends more "
        f"than {bounds.MAX_LENGTH_MINUTES} minutes after its start ({rule.MAX_MINUTES} planned plus at most "
        f"{bounds.MAX_OVERRUN_MINUTES} of overrun).",
    )

    def validate(self, attrs):
        if ("minutes" in attrs) == ("until" in attrs):
            raise serializers.ValidationError({"minutes": [_("Give either minutes or until (one of them).")]})
        return attrs


class WindowEditSerializer(serializers.Serializer):
    """The body of PATCH: the window's title and release summary (either or both), and a reason for the audit log."""

    title = serializers.CharField(
        required=False, allow_blank=True, max_length=200, validators=[validate_one_line_title]
    )
    release_summary = serializers.CharField(required=False, allow_blank=True, max_length=20000)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500, default="")

    def validate(self, attrs):
        if not {"title", "release_summary"} & set(attrs):
            raise serializers.ValidationError({"title": [_("Give title or release_summary (or both).")]})
        return attrs


# PATCH's body as the schema states it: title and/or release_summary (at least one), a title on one line.
WINDOW_EDIT_SCHEMA = {
    "type": "object",
    "properties": {
        "title": {"type": "string", "maxLength": 200, "pattern": "^[^\\x00-\\x1f\\x7f\\u0085\\u2028\\u2029]*$"},
        "release_summary": {"type": "string", "maxLength": 20000},
        "reason": {"type": "string", "maxLength": 500},
    },
    "anyOf": [{"required": ["title"]}, {"required": ["release_summary"]}],
}


class WindowActionResponseSerializer(WindowSerializer):
    message = serializers.CharField(help_text="What happened, e.g. 'Started.' or 'The window is already started.'")

    class Meta(WindowSerializer.Meta):
        fields = [*WindowSerializer.Meta.fields, "message"]
        read_only_fields = fields
