"""The lifecycle controls of the window admin: the forms behind each button, and the questions asked first.

Announce warns when the title or release summary is missing; a start more than ``START_LEAD_MINUTES`` ahead asks
for ``force`` and a reason; cancel asks to confirm. The same questions are asked for the bulk actions and for the
buttons on a window's page. Reschedule takes the region's local time and says which zone it is.
"""

from django import forms
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from maintenance import bounds, release
from maintenance.admin.forms import RescheduleForm
from maintenance.models import Window

# verb -> (label, the statuses it applies to)
CONTROLS = {
    "announce": (pgettext_lazy("window action", "Announce"), {Window.Status.PLANNED}),
    "start": (pgettext_lazy("window action", "Start"), {Window.Status.PLANNED, Window.Status.SCHEDULED}),
    "complete": (pgettext_lazy("window action", "Complete"), {Window.Status.IN_PROGRESS}),
    "cancel": (pgettext_lazy("window action", "Cancel"), {Window.Status.PLANNED, Window.Status.SCHEDULED}),
    "reschedule": (_("Reschedule"), {Window.Status.PLANNED, Window.Status.SCHEDULED}),
    "extend": (_("Extend"), {Window.Status.SCHEDULED, Window.Status.IN_PROGRESS}),
}


def controls_for(window):
    """The verbs that apply to ``window`` now, in the order of its life."""
    return [(verb, label) for verb, (label, states) in CONTROLS.items() if window.status in states]


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)


class StartForm(ReasonForm):
    force = forms.BooleanField(
        label=_("Start early"),
        required=False,
        help_text=_("Needed to start more than the lead time before the window's start; give a reason."),
    )

    def __init__(self, *args, early=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.early = early

    def clean(self):
        data = super().clean()
        if self.early and not data.get("force"):
            self.add_error("force", gettext("This starts before the window's time: tick “Start early” to confirm."))
        if self.early and not (data.get("reason") or "").strip():
            self.add_error("reason", gettext("Give a reason to start a window early."))
        return data


class LocalRescheduleForm(RescheduleForm):
    """Reschedule in the region's wall-clock time; the view parses the input in ``zone``."""

    def __init__(self, *args, zone_name="UTC", **kwargs):
        super().__init__(*args, **kwargs)
        self.zone_name = zone_name
        self.fields["starts_at"].label = gettext("New start (%(zone)s)") % {"zone": zone_name}
        self.fields["starts_at"].help_text = gettext("YYYY-MM-DD HH:MM, local time in %(zone)s.") % {"zone": zone_name}
        self.fields["ends_at"].label = gettext("New end (%(zone)s)") % {"zone": zone_name}


def announce_notes(windows):
    """Warnings for announcing ``windows``: which have no title (they would go out as "Monthly release") or summary."""
    notes = []
    for window in windows:
        missing = release.missing_words(window) if window.status == Window.Status.PLANNED else []
        if missing == ["title", "summary"]:
            notes.append(gettext("%s has no title and no release summary.") % window)
        elif missing == ["title"]:
            notes.append(gettext("%s has no title: it would be announced as “Monthly release”.") % window)
        elif missing == ["summary"]:
            notes.append(gettext("%s has no release summary.") % window)
    return notes


def early_windows(windows, now):
    startable = {Window.Status.PLANNED, Window.Status.SCHEDULED}
    return [w for w in windows if w.status in startable and bounds.too_early_to_start(w, now)]


def start_notes(windows, now):
    lead = bounds.start_lead_minutes()
    return [
        gettext("%(window)s starts more than %(lead)s minutes from now.") % {"window": window, "lead": lead}
        for window in early_windows(windows, now)
    ]


def cancel_notes(windows):
    notes = []
    for window in windows:
        if window.status == Window.Status.SCHEDULED:
            notes.append(gettext("%s is announced: its subscribers will be sent the cancellation.") % window)
        elif window.status == Window.Status.PLANNED:
            notes.append(gettext("%s will be cancelled; the rule will not plan it again.") % window)
    return notes
