"""Forms of the subscription flow. The API validates with the same form, so both answer alike."""

import zoneinfo
from functools import cache

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


class TopicsField(forms.MultipleChoiceField):
    """The topics ticked. The page sends an empty marker value with the boxes, so "none ticked" reaches the form as
    ``[""]`` and is told apart from a client that does not send the field at all (which keeps the default)."""

    def to_python(self, value):
        if isinstance(value, list | tuple) and any(not isinstance(item, str) for item in value):
            raise ValidationError(_("Give the topics as a list of names."), code="invalid_list")
        return [item for item in super().to_python(value) if item != ""]


TOPICS = [("maintenance", _("Planned maintenance")), ("incidents", _("Incidents"))]


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
        # A text box with a list to search (``<datalist>``): type "Berl" and pick Europe/Berlin.
        widget=forms.TextInput(attrs={"list": "timezone-list", "autocomplete": "off", "data-browser-zone": ""}),
        help_text=_(
            "Type to search, for example Berlin. Empty: the region's own time. Times are always also given in the "
            "region's zone and UTC."
        ),
    )
    notify_start_end = forms.BooleanField(label=_("Also tell me when a window starts and ends"), required=False)
    topics = TopicsField(
        label=_("Tell me about"),
        choices=TOPICS,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("%(value)s is not a topic; choose maintenance, incidents or both.")},
    )

    @property
    def zone_names(self):
        """The IANA zones to offer, in alphabetical order."""
        return zone_names()

    def clean(self):
        for name, value in self.data.items():
            if isinstance(value, str) and has_unsafe_characters(value) and name in self.fields:
                self.add_error(name, ValidationError(UNSAFE_MESSAGE, code="unsafe"))
        return super().clean()

    def clean_topics(self):
        """The topics chosen, or None when the client did not send the field (the caller's default stands)."""
        value = self.cleaned_data.get("topics") or []
        if "topics" not in self.data:
            return None
        if not value:
            raise ValidationError(_("Choose at least one topic."), code="required")
        return value

    def topic_flags(self, default=None):
        """``{"topic_maintenance": bool, "topic_incidents": bool}`` from the topics chosen, or ``default`` when the
        client sent none."""
        topics = self.cleaned_data.get("topics")
        if topics is None:
            return default
        return {"topic_maintenance": "maintenance" in topics, "topic_incidents": "incidents" in topics}

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


@cache
def zone_names():
    """Every IANA zone this Python knows by an area/place name (and UTC), sorted; read once per process."""
    names = {
        name for name in zoneinfo.available_timezones() if "/" in name and not name.startswith(("Etc/", "SystemV/"))
    }
    return sorted(names | {"UTC"})


class SubscribeForm(PreferencesForm):
    email = forms.CharField(label=_("Email address"), max_length=254)
    # A field people never see: a bot that fills it gets the usual reply and no mail is sent.
    website = forms.CharField(label=_("Leave this empty"), required=False)

    field_order = ["email", "regions", "topics", "language", "timezone", "notify_start_end", "website"]

    def clean_email(self):
        return normalise_email(self.cleaned_data["email"])

    @classmethod
    def for_visitor(cls, language, region_slug=None):
        """An empty form in the visitor's language; ``?region=japan`` ticks that region and offers its zone, so the
        form holds a sensible zone even without JavaScript (the script then offers the browser's own)."""
        initial = {"language": language, "topics": [value for value, _label in TOPICS]}  # new ones get both
        region = Region.objects.filter(active=True, slug=region_slug).first() if region_slug else None
        if region is not None:
            initial.update(regions=[region.slug], timezone=region.timezone)
        return cls(initial=initial)

    @property
    def is_bot(self):
        return bool(self.data.get("website"))
