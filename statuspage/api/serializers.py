from rest_framework import serializers

from maintenance.models import Region, Window


class RegionSerializer(serializers.ModelSerializer):
    offpeak_start = serializers.TimeField(format="%H:%M")

    class Meta:
        model = Region
        fields = ["slug", "name", "timezone", "offpeak_start", "window_minutes", "active", "position"]


class WindowSerializer(serializers.ModelSerializer):
    region = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    month = serializers.DateField(format="%Y-%m", help_text="The region's local month this window serves.")

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
            "edited_by_hand",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields
