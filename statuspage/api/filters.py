import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from maintenance.models import Region, Window


@extend_schema_field({"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"})
class RegionSlugFilter(django_filters.ModelChoiceFilter):
    """A region given by its slug."""


class StrictFilterForm(forms.Form):
    """A filter given with an empty value is a mistake, not "no filter": it gets a 400 naming it."""

    def clean(self):
        for name in self.fields:
            if self.data.get(name) == "":
                self.add_error(name, _("Give a value, or leave this filter out."))
        return super().clean()


class WindowFilter(django_filters.FilterSet):
    region = RegionSlugFilter(
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
        form = StrictFilterForm
        fields = ["region", "status", "starts_after", "starts_before"]
