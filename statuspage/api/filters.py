import django_filters

from maintenance.models import Region, Window


class WindowFilter(django_filters.FilterSet):
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.all(), to_field_name="slug", help_text="A region slug, e.g. eu-frankfurt."
    )
    status = django_filters.ChoiceFilter(choices=Window.Status.choices)
    starts_after = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="gte", help_text="ISO 8601 date-time; windows starting at or after it."
    )
    starts_before = django_filters.IsoDateTimeFilter(
        field_name="starts_at", lookup_expr="lt", help_text="ISO 8601 date-time; windows starting before it."
    )

    class Meta:
        model = Window
        fields = ["region", "status", "starts_after", "starts_before"]
