"""Release night on one screen: every window of a release date in follow-the-sun order, with countdowns, the progress
of their notices and the lifecycle's buttons (the 12-month report is in ``night_report``).

``ReleaseNightMixin`` adds these pages to a window admin. The page works without JavaScript (reload by hand);
``offpeak/night.js`` polls ``night/data.json`` and updates it in place. Every button leads to a confirmation page that
says what will happen; its POST carries the window's version as the page showed it, so a second press, or a press on
a window another release manager has just changed, is refused with 409 and the reason, and nothing changes.

Delivery progress belongs to notifications, which this app never imports: the site's window admin fills it in by
overriding ``notice_progress``.
"""

from datetime import UTC, date

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from maintenance import dates, lifecycle, nightly
from maintenance.admin.forms import ExtendForm
from maintenance.admin.night_report import NightReportMixin
from maintenance.models import AuditEvent, Window
from maintenance.validators import has_unsafe_characters

POLL_SECONDS = 5

# action: (button label, lifecycle function, the states it is offered in)
ACTIONS = {
    "start": (gettext_lazy("Start"), lifecycle.start, {Window.Status.PLANNED, Window.Status.SCHEDULED}),
    "complete": (gettext_lazy("Complete"), lifecycle.complete, {Window.Status.IN_PROGRESS}),
    "extend": (gettext_lazy("Extend"), None, {Window.Status.SCHEDULED, Window.Status.IN_PROGRESS}),
    "cancel": (gettext_lazy("Cancel"), lifecycle.cancel, {Window.Status.PLANNED, Window.Status.SCHEDULED}),
}

# The countdown's words per ``nightly.Countdown.kind``; ``{clock}`` is H:MM:SS. The script uses the same templates.
COUNTDOWN_TEXT = {
    nightly.STARTS: gettext_lazy("starts in {clock}"),
    nightly.DUE: gettext_lazy("due to start {clock} ago"),
    nightly.ENDS: gettext_lazy("ends in {clock}"),
    nightly.OVERRUN: gettext_lazy("OVERRUNNING by {clock}"),
}


def version(window):
    """What the page saw of the window: any change to it (by anyone, the beat included) gives another version."""
    return f"{window.status}.{window.sequence}.{window.updated_at.timestamp():.6f}"


def _one_line(value):
    if has_unsafe_characters(value):
        raise forms.ValidationError(_("A reason is one line, without line breaks or control characters."))
    return value


class NightActionForm(forms.Form):
    version = forms.CharField(widget=forms.HiddenInput, max_length=100)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500, required=False)

    def clean_reason(self):
        return _one_line(self.cleaned_data["reason"])


class NightExtendForm(ExtendForm):
    version = forms.CharField(widget=forms.HiddenInput, max_length=100)

    def clean_reason(self):
        return _one_line(self.cleaned_data["reason"])


def countdown_text(count, window):
    if count.kind == nightly.CANCELLED:
        return _("cancelled")
    if count.kind == nightly.DONE:
        end = count.target.astimezone(UTC).strftime("%H:%M UTC") if count.target else "?"
        if window.actual_end and window.actual_end > window.promised_end:
            overran = nightly.clock((window.actual_end - window.promised_end).total_seconds())
            return _("completed at %(end)s, OVERRAN by %(clock)s") % {"end": end, "clock": overran}
        return _("completed at %(end)s") % {"end": end}
    return str(COUNTDOWN_TEXT[count.kind]).format(clock=nightly.clock(count.seconds))


def span(start, end, zone_format):
    """``Sat 22:00–23:00 CET``: a window's times in one zone, the weekday of its start first."""
    return f"{dates.weekday(start)} {start:%H:%M}–{end:%H:%M} {end.strftime(zone_format)}"


def progress_text(line):
    return _("%(label)s: %(sent)d of %(total)d sent, %(pending)d pending, %(failed)d failed") % line


class ReleaseNightMixin(NightReportMixin):
    """For a window admin: the release-night page, its JSON, the confirmation pages and the 12-month report."""

    def notice_progress(self, windows):
        """``{window_id: [{"kind", "label", "sent", "pending", "failed", "other", "total"}, ...]}`` for the
        windows' notices. Nothing here knows about deliveries; the site's admin overrides this."""
        return {}

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("night/", view(self.night_view), name="maintenance_window_night"),
            path("night/data.json", view(self.night_data_view), name="maintenance_window_night_data"),
            path("night/report/", view(self.night_report_view), name="maintenance_window_night_report"),
            path("night/report.csv", view(self.night_report_csv_view), name="maintenance_window_night_report_csv"),
            path(
                "night/<int:object_id>/<slug:action>/",
                view(self.night_action_view),
                name="maintenance_window_night_action",
            ),
            *super().get_urls(),
        ]

    # --- the page and its data ---

    def _night(self, request):
        """``(day, error)``: the date asked for in ``?date=``, or the next release date."""
        now = timezone.now()
        text = request.GET.get("date", "").strip()
        if not text:
            return nightly.next_release_date(now), None
        try:
            return date.fromisoformat(text), None
        except ValueError:
            return nightly.next_release_date(now), _("%(text)r is not a date; use YYYY-MM-DD.") % {"text": text[:40]}

    def _rows(self, request, day, now):
        windows = nightly.night_windows(day)
        progress = self.notice_progress(windows)
        can_manage = self.has_manage_permission(request)
        rows = []
        for window in windows:
            zone = window.region.zone
            count = nightly.countdown(window, now)
            rows.append(
                {
                    "window": window,
                    "id": window.pk,
                    "region": window.region.name,
                    "slug": window.region.slug,
                    "zone": window.region.timezone,
                    "local_start": window.starts_at.astimezone(zone),
                    "local_end": window.ends_at.astimezone(zone),
                    "local_text": span(window.starts_at.astimezone(zone), window.ends_at.astimezone(zone), "%Z"),
                    "utc_text": span(window.starts_at.astimezone(UTC), window.ends_at.astimezone(UTC), "UTC"),
                    "status": window.status,
                    "status_label": window.get_status_display(),
                    "overrun": count.kind == nightly.OVERRUN,
                    "countdown": count,
                    "countdown_text": countdown_text(count, window),
                    "progress": [{**line, "text": progress_text(line)} for line in progress.get(window.pk, [])],
                    "actions": self._actions(window, day) if can_manage else [],
                    "version": version(window),
                }
            )
        return rows

    def _actions(self, window, day):
        query = f"?version={version(window)}&date={day.isoformat()}"
        return [
            {
                "action": action,
                "label": str(label),
                "url": reverse("admin:maintenance_window_night_action", args=[window.pk, action]) + query,
            }
            for action, (label, _function, states) in ACTIONS.items()
            if window.status in states
        ]

    def night_view(self, request):
        self._require_view(request)
        now = timezone.now()
        day, error = self._night(request)
        if error:
            messages.error(request, error)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Release night %(day)s") % {"day": day.isoformat()},
            "day": day,
            "now": now,
            "rows": self._rows(request, day, now),
            "can_manage": self.has_manage_permission(request),
            "poll_seconds": POLL_SECONDS,
            "countdown_text": {kind: str(text) for kind, text in COUNTDOWN_TEXT.items()},
            "data_url": reverse("admin:maintenance_window_night_data") + f"?date={day.isoformat()}",
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/maintenance/night/night.html", context, status=400 if error else 200)

    def night_data_view(self, request):
        self._require_view(request)
        now = timezone.now()
        day, error = self._night(request)
        if error:
            return JsonResponse({"error": error}, status=400)
        windows = []
        for row in self._rows(request, day, now):
            count = row["countdown"]
            windows.append(
                {
                    "id": row["id"],
                    "region": row["region"],
                    "slug": row["slug"],
                    "zone": row["zone"],
                    "local_start": row["local_start"].isoformat(),
                    "local_end": row["local_end"].isoformat(),
                    "starts_at": row["window"].starts_at.isoformat(),
                    "ends_at": row["window"].ends_at.isoformat(),
                    "status": row["status"],
                    "status_label": str(row["status_label"]),
                    "overrun": row["overrun"],
                    "countdown": {
                        "kind": count.kind,
                        "target": count.target.isoformat() if count.target else None,
                        "seconds": count.seconds,
                        "text": row["countdown_text"],
                    },
                    "progress": row["progress"],
                    "actions": row["actions"],
                    "version": row["version"],
                }
            )
        return JsonResponse({"now": now.isoformat(), "date": day.isoformat(), "windows": windows})

    # --- the buttons: a confirmation page, then the lifecycle ---

    def night_action_view(self, request, object_id, action):
        if action not in ACTIONS:
            raise Http404
        if not self.has_manage_permission(request):
            raise PermissionDenied
        window = Window.objects.select_related("region").filter(pk=object_id).first()
        if window is None:
            raise Http404
        form_class = NightExtendForm if action == "extend" else NightActionForm
        status = 200
        if request.method == "POST":
            form = form_class(request.POST)
            if form.is_valid():
                try:
                    outcome = self._apply(window, action, form.cleaned_data, request.user)
                except lifecycle.TransitionError as exc:
                    form.add_error(None, str(exc))
                    status = 409
                else:
                    messages.success(request, f"{outcome.window}: {outcome.message}")
                    back = reverse("admin:maintenance_window_night") + f"?date={nightly.local_date(window)}"
                    return HttpResponseRedirect(back, status=303)
            else:
                status = 400
            window.refresh_from_db()
        else:
            form = form_class(initial={"version": request.GET.get("version") or version(window)})
        label, _function, states = ACTIONS[action]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": f"{label}: {window}",
            "window": window,
            "action": action,
            "label": label,
            "explanation": self._explanation(window, action),
            "form": form,
            "offered": window.status in states,
            "back_url": reverse("admin:maintenance_window_night") + f"?date={nightly.local_date(window)}",
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/maintenance/night/confirm.html", context, status=status)

    def _apply(self, window, action, data, user):
        """Run the lifecycle if the window is still the version the page showed; hold its row while checking."""
        with transaction.atomic():
            current = Window.objects.select_for_update(of=("self",)).select_related("region").get(pk=window.pk)
            if version(current) != data["version"]:
                raise lifecycle.TransitionError(changed_since(current))
            if action == "extend":
                return lifecycle.extend(current, data["minutes"], actor=user, reason=data["reason"])
            return ACTIONS[action][1](current, actor=user, reason=data["reason"])

    def _explanation(self, window, action):
        if action == "start":
            text = _(
                "Start the window now: the status page shows the region under maintenance, and subscribers who asked "
                "for it are told it has started."
            )
            if window.status == Window.Status.PLANNED:
                text += " " + _("It was never announced, so its time counts as downtime against the SLA.")
            return text
        if action == "complete":
            return _(
                "Complete the window now: the region shows operational again, and subscribers who asked for it are "
                "told it has ended. This cannot be undone."
            )
        if action == "extend":
            return _("Push the window's end back by the minutes below; subscribers are told the new end.")
        return _("Cancel the window: subscribers are told it will not take place. This cannot be undone.")


def changed_since(window):
    """Why a press on a changed window was refused: its state now, and the last change's author and time."""
    last = AuditEvent.objects.filter(window=window).order_by("-created_at", "-id").first()
    state = window.get_status_display().lower()
    if last is None:
        return _("The window changed since the page was loaded; it is now %(state)s. Nothing was done.") % {
            "state": state
        }
    return _(
        "The window changed since the page was loaded: %(actor)s did “%(action)s” at %(when)s; it is now %(state)s. "
        "Nothing was done; check the page and press again if it is still needed."
    ) % {
        "actor": last.actor_label,
        "action": last.action,
        "when": last.created_at.astimezone(UTC).strftime("%H:%M:%S UTC"),
        "state": state,
    }
