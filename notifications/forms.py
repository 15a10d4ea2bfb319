"""Forms of the subscription flow. The API validates with the same form, so both answer alike."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from maintenance import rule
from maintenance.models import Region
from maintenance.validators import has_unsafe_characters
from notifications.addresses import normalise_email
from notifications.models import Subscriber

UNSAFE_MESSAGE = _("This value contains line breaks or control characters.")


class RegionChoiceField(forms.ModelMultipleChoiceField):
    def clean(self, value):
        if isinstance(value, list | tuple) and any(not isinstance(item, str) for item in value):
            raise ValidationError(_("Give the regions as a list of slugs."), code="invalid_list")
        if isinstance(value, list | tuple) and any(has_unsafe_characters(item) for item in value):
            raise ValidationError(UNSAFE_MESSAGE, code="unsafe")
        return super().clean(value)


class PreferencesForm(forms.Form):
    regions = RegionChoiceField(
        label=_("Regions"),
        queryset=Region.objects.filter(active=True),
        to_field_name="slug",
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("%(value)s is not a region."),
            "required": _("Choose at least one region."),
        },
    )
    language = forms.ChoiceField(label=_("Language"), choices=Subscriber.Language.choices, initial="en")
    timezone = forms.CharField(
        label=_("Your time zone"),
        required=False,
        max_length=64,
        help_text=_("Optional, for example Europe/Berlin. Times are always also given in the region's zone and UTC."),
    )
    notify_start_end = forms.BooleanField(label=_("Also tell me when a window starts and ends"), required=False)

    def clean(self):
        for name, value in self.data.items():
            if isinstance(value, str) and has_unsafe_characters(value) and name in self.fields:
                self.add_error(name, ValidationError(UNSAFE_MESSAGE, code="unsafe"))
        return super().clean()

    def clean_timezone(self):
        value = (self.cleaned_data.get("timezone") or "").strip()
        if value:
            try:
                rule.zone(value)
            except ValueError:
                raise ValidationError(
                    _("%(value)s is not an IANA time zone, such as Europe/Berlin."), params={"value": value}
                ) from None
        return value


class SubscribeForm(PreferencesForm):
    email = forms.CharField(label=_("Email address"), max_length=254)
    # A field people never see: a bot that fills it gets the usual reply and no mail is sent.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    field_order = ["email", "regions", "language", "timezone", "notify_start_end", "website"]

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    @property
    def is_bot(self):
        return bool(self.data.get("website"))
