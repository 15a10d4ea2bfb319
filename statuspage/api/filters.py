from datetime import UTC

import django_filters
from django import forms
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

from maintenance.models import Region, Window
from maintenance.rule import Month


@extend_schema_field({"type": "string", "pattern": "^[-a-zA-Z0-9_]+$"})
class RegionSlugFilter(django_filters.ModelChoiceFilter):
    """A region given by its slug."""


class OffsetDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 date-time that must state its offset: a bare local time is refused, never taken as UTC."""

    default_error_messages = {
        "invalid": _(
            "Give an ISO 8601 date-time with a UTC offset, e.g. 2027-01-30T14:00:00Z or 2027-01-30T23:00:00+09:00."
        )
    }

    def to_python(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None  # not a date-time at all: the parent says so
            if parsed is not None and parsed.tzinfo is None:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            if parsed is not None:
                try:
                    parsed.astimezone(UTC)  # the instant must exist in UTC (9999-12-31T23:00-02:00 does not)
                except OverflowError:
                    raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)


class OffsetDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = OffsetDateTimeField


class MonthFormField(forms.CharField):
    def to_python(self, value):
        text = super().to_python(value)
        if text in self.empty_values:
            return None
        try:
            month = Month.parse(text)
        except ValueError as exc:
            raise forms.ValidationError(str(exc)) from None
        return month.first_day


@extend_schema_field({"type": "string", "pattern": r"^[0-9]{4}-(0[1-9]|1[0-2])$", "example": "2027-01"})
class MonthFilter(django_filters.Filter):
    """A calendar month as YYYY-MM: the region's local month a window serves."""

    field_class = MonthFormField


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
    month = MonthFilter(field_name="month", help_text="YYYY-MM: windows serving this month in their region's zone.")
    status = django_filters.ChoiceFilter(choices=Window.Status.choices)
    starts_after = OffsetDateTimeFilter(
        field_name="starts_at",
        lookup_expr="gte",
        help_text="ISO 8601 date-time with an offset; windows starting at or after it.",
    )
    starts_before = OffsetDateTimeFilter(
        field_name="starts_at",
        lookup_expr="lt",
        help_text="ISO 8601 date-time with an offset; windows starting before it.",
    )

    class Meta:
        model = Window
        form = StrictFilterForm
        fields = ["region", "month", "status", "starts_after", "starts_before"]


def refuse_unknown_parameters(query_params, known):
    """A query parameter nobody reads is a mistake the caller should hear about, not a filter silently skipped."""
    unknown = sorted(set(query_params) - set(known))
    if unknown:
        allowed = ", ".join(sorted(known))
        raise exceptions.ValidationError(
            {
                name: [_("Unknown query parameter; this endpoint reads %(allowed)s.") % {"allowed": allowed}]
                for name in unknown
            }
        )
