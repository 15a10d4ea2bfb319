"""One release, one form: set the title and release summary (in each of the site's languages) of many windows.

The admin action "Set the title and release summary" takes the selected windows (filter the list by month, tick
the regions) and writes the same texts to each of them through ``maintenance.release.describe``, audited.
"""

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from maintenance import release
from maintenance.validators import validate_one_line_title


class ReleaseTextsForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200, required=False)
    release_summary = forms.CharField(
        label=_("Release summary (English)"), widget=forms.Textarea(attrs={"rows": 5}), max_length=20000, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for code, name in settings.LANGUAGES:
            if code != "en":
                self.fields[f"release_summary_{code}"] = forms.CharField(
                    label=gettext("Release summary (%(language)s)") % {"language": name},
                    widget=forms.Textarea(attrs={"rows": 5}),
                    max_length=20000,
                    required=False,
                    help_text=gettext("Empty: readers in this language get the English summary."),
                )

    def clean_title(self):
        return validate_one_line_title(self.cleaned_data.get("title"))

    def translations(self):
        prefix = "release_summary_"
        return {
            name.removeprefix(prefix): value
            for name, value in self.cleaned_data.items()
            if name.startswith(prefix) and value
        }


class ReleaseTextsMixin:
    """Adds the action ``set_release_texts`` to the window admin."""

    @admin.action(description=_("Set the title and release summary of the selected windows"), permissions=["manage"])
    def set_release_texts(self, request, queryset):
        windows = list(queryset.select_related("region").order_by("starts_at", "id"))
        if "apply" in request.POST:
            form = ReleaseTextsForm(request.POST)
            if form.is_valid():
                data = form.cleaned_data
                changed = release.describe(
                    windows,
                    data["title"],
                    data["release_summary"],
                    form.translations(),
                    actor=request.user,
                    reason=data["reason"],
                )
                count = len(changed)
                message = ngettext(
                    "Title and release summary set for %(count)d window.",
                    "Title and release summary set for %(count)d windows.",
                    count,
                ) % {"count": count}
                self.message_user(request, message, messages.SUCCESS)
                return None
        else:
            first = windows[0] if windows else None
            initial = {}
            if first is not None:
                initial = {"title": first.title, "release_summary": first.release_summary}
                for code, text in first.release_summary_translations.items():
                    initial[f"release_summary_{code}"] = text
            form = ReleaseTextsForm(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": gettext("Title and release summary for %(count)s windows") % {"count": len(windows)},
            "windows": windows,
            "form": form,
            "action": "set_release_texts",
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        status = 400 if form.is_bound else 200
        return TemplateResponse(request, "admin/maintenance/window/release_texts.html", context, status=status)
