"""The buttons on a window's page (announce, start, complete, cancel, reschedule, extend): each opens a form that
says what will happen, and runs the change through ``lifecycle``."""

from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from maintenance import lifecycle
from maintenance.admin.controls import (
    CONTROLS,
    LocalRescheduleForm,
    ReasonForm,
    StartForm,
    announce_notes,
    cancel_notes,
    early_windows,
    start_notes,
)
from maintenance.admin.display import local_span, utc_span
from maintenance.admin.forms import ExtendForm
from maintenance.models import Window


class WindowButtonsMixin:
    """For a ``ModelAdmin`` of windows with ``has_manage_permission``: the URLs and views behind the buttons."""

    def get_urls(self):
        return [
            *[
                path(
                    f"<int:object_id>/{verb}/",
                    self.admin_site.admin_view(partial(self.control_view, verb=verb)),
                    name=f"maintenance_window_{verb}",
                )
                for verb in ("announce", "start", "complete", "cancel")
            ],
            path(
                "<int:object_id>/reschedule/",
                self.admin_site.admin_view(self.reschedule_view),
                name="maintenance_window_reschedule",
            ),
            path(
                "<int:object_id>/extend/",
                self.admin_site.admin_view(self.extend_view),
                name="maintenance_window_extend",
            ),
            *super().get_urls(),
        ]

    def control_view(self, request, object_id, verb):
        window = get_object_or_404(Window.objects.select_related("region"), pk=object_id)
        now = timezone.now()
        label = CONTROLS[verb][0]
        if verb == "start":
            early = bool(early_windows([window], now))
            notes = start_notes([window], now)

            def form_class(*args, **kwargs):
                return StartForm(*args, early=early, **kwargs)

            def apply(window, data, user):
                return lifecycle.start(window, actor=user, reason=data["reason"], force=data["force"])

            return self._form_view(request, window, form_class, apply, label, {}, notes)
        notes = {"announce": announce_notes, "cancel": cancel_notes}.get(verb, lambda ws: [])([window])
        transition = getattr(lifecycle, verb)

        def apply(window, data, user):
            return transition(window, actor=user, reason=data["reason"])

        return self._form_view(request, window, ReasonForm, apply, label, {}, notes)

    def reschedule_view(self, request, object_id):
        window = get_object_or_404(Window.objects.select_related("region"), pk=object_id)
        zone = window.region.zone

        def apply(window, data, user):
            return lifecycle.reschedule(window, data["starts_at"], data["ends_at"], actor=user, reason=data["reason"])

        def form_class(*args, **kwargs):
            return LocalRescheduleForm(*args, zone_name=window.region.timezone, window=window, **kwargs)

        local = "%Y-%m-%d %H:%M"
        initial = {
            "starts_at": window.starts_at.astimezone(zone).strftime(local),
            "ends_at": window.ends_at.astimezone(zone).strftime(local),
        }
        return self._form_view(request, window, form_class, apply, _("Reschedule"), initial, zone=zone)

    def extend_view(self, request, object_id):
        def apply(window, data, user):
            return lifecycle.extend(window, data["minutes"], actor=user, reason=data["reason"])

        window = get_object_or_404(Window.objects.select_related("region"), pk=object_id)
        return self._form_view(request, window, ExtendForm, apply, _("Extend"), {})

    def _form_view(self, request, window, form_class, apply, verb, initial, notes=(), zone=None):
        if not self.has_manage_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = form_class(request.POST)
            with timezone.override(zone or timezone.get_current_timezone()):
                valid = form.is_valid()  # times without an offset are the region's wall-clock time
            if valid:
                try:
                    outcome = apply(window, form.cleaned_data, request.user)
                except lifecycle.TransitionError as exc:
                    form.add_error(None, str(exc))
                else:
                    level = messages.SUCCESS if outcome.changed else messages.INFO
                    moved = outcome.window
                    self.message_user(
                        request,
                        f"{moved}: {outcome.message} "
                        + gettext("Now %(local)s, %(utc)s.") % {"local": local_span(moved), "utc": utc_span(moved)},
                        level,
                    )
                    return HttpResponseRedirect(reverse("admin:maintenance_window_change", args=[window.pk]))
        else:
            form = form_class(initial=initial)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": window,
            "title": f"{verb}: {window}",
            "form": form,
            "verb": verb,
            "notes": list(notes),
            "local_time": local_span(window),
            "utc_time": utc_span(window),
            "has_view_permission": True,
        }
        # A form shown again with its errors is a refused request: 400, so scripts and proxies see it failed.
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/maintenance/window/lifecycle_form.html", context, status=status)
