import hashlib
import json

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from maintenance import bounds, editing, lifecycle
from maintenance.models import IdempotencyKey, Region, Window
from statuspage.api.filters import WindowFilter, refuse_unknown_parameters
from statuspage.api.pagination import Pagination
from statuspage.api.serializers import (
    WINDOW_EDIT_SCHEMA,
    ActionSerializer,
    ExtendSerializer,
    RegionSerializer,
    RescheduleSerializer,
    StartSerializer,
    WindowActionResponseSerializer,
    WindowEditSerializer,
    WindowSerializer,
)

BAD_FILTER = OpenApiResponse(
    description="A filter value is invalid, or a query parameter unknown; `detail` says which."
)
NOT_FOUND = OpenApiResponse(description="No such object.")
BAD_PAGE = OpenApiResponse(description="`page` or `page_size` is not a whole number in range.")
PAST_LAST_PAGE = OpenApiResponse(description="`page` is past the last page.")
BAD_BODY = OpenApiResponse(description="The body is invalid; `detail` says which field.")
NO_AUTH = OpenApiResponse(description="No or a bad token: send `Authorization: Token <key>`.")
FORBIDDEN = OpenApiResponse(description="The token's user is not a release manager.")
CONFLICT = OpenApiResponse(description="The transition is not allowed now; `detail` says why.")
KEY_REUSED = OpenApiResponse(description="The Idempotency-Key was used before with another endpoint or body.")
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string up to 200 characters. A repeat with the same key and body returns the first "
    "answer and changes nothing.",
)


class IsReleaseManager(permissions.BasePermission):
    """Authenticated, with the ``maintenance.manage_windows`` permission (the Release managers group has it)."""

    message = _("Only release managers may change windows and incidents.")

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated):
            raise exceptions.NotAuthenticated(_("Authentication credentials were not provided: send a token."))
        return user.has_perm("maintenance.manage_windows")


@extend_schema_view(
    list=extend_schema(summary="List regions", description="Every region with its zone and off-peak rule."),
    retrieve=extend_schema(summary="One region", responses={200: RegionSerializer, 404: NOT_FOUND}),
)
class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    lookup_field = "slug"
    pagination_class = None
    filter_backends = []


def _action_schema(verb, body, description):
    return extend_schema(
        summary=f"{verb.capitalize()} a window",
        description=description,
        request=body,
        parameters=[IDEMPOTENCY_HEADER] if verb in ("reschedule", "extend") else [],
        responses={
            200: WindowActionResponseSerializer,
            400: BAD_BODY,
            401: NO_AUTH,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: CONFLICT,
            422: KEY_REUSED,
        },
    )


@extend_schema_view(
    list=extend_schema(
        summary="List windows",
        description="Release windows, earliest first. Times are UTC. An unknown query parameter is a 400 naming it.",
        responses={200: WindowSerializer(many=True), 400: BAD_FILTER, 404: PAST_LAST_PAGE},
    ),
    retrieve=extend_schema(summary="One window", responses={200: WindowSerializer, 404: NOT_FOUND}),
    partial_update=extend_schema(
        summary="Set a window's title and release summary",
        description="Release managers only, like the lifecycle actions; each change is written to the audit log.",
        request={"application/json": WINDOW_EDIT_SCHEMA},
        responses={
            200: WindowActionResponseSerializer,
            400: BAD_BODY,
            401: NO_AUTH,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    ),
)
class WindowViewSet(viewsets.ReadOnlyModelViewSet):
    """Read windows; release managers (token) run their lifecycle with the POST actions and edit words with PATCH."""

    queryset = Window.objects.select_related("region").order_by("starts_at", "id")
    serializer_class = WindowSerializer
    filterset_class = WindowFilter
    list_parameters = [*WindowFilter.base_filters, Pagination.page_query_param, Pagination.page_size_query_param]

    def get_permissions(self):
        if self.action in ("announce", "start", "complete", "cancel", "reschedule", "extend", "partial_update"):
            return [IsReleaseManager()]
        return super().get_permissions()

    def list(self, request, *args, **kwargs):
        refuse_unknown_parameters(request.query_params, self.list_parameters)
        return super().list(request, *args, **kwargs)

    def partial_update(self, request, pk=None):
        window = self.get_object()
        body = WindowEditSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = dict(body.validated_data)
        reason = data.pop("reason")
        changed = editing.edit_window(window, actor=request.user, reason=reason, **data)
        message = _("Saved.") if changed else _("The window already reads so.")
        return Response({**WindowSerializer(window).data, "message": message})

    @_action_schema("announce", ActionSerializer, "planned → scheduled; customers are told. Repeating it is a no-op.")
    @action(detail=True, methods=["post"])
    def announce(self, request, pk=None):
        return self._run(request, ActionSerializer, lambda window, data, now: lifecycle.announce(window, **data))

    @_action_schema(
        "start",
        StartSerializer,
        "scheduled (or planned, unannounced) → in_progress. More than START_LEAD_MINUTES before the window's "
        "start it is a 409 unless the body has `force: true` and a `reason`.",
    )
    @action(detail=True, methods=["post"])
    def start(self, request, pk=None):
        return self._run(request, StartSerializer, lambda window, data, now: lifecycle.start(window, **data))

    @_action_schema("complete", ActionSerializer, "in_progress → completed.")
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        return self._run(request, ActionSerializer, lambda window, data, now: lifecycle.complete(window, **data))

    @_action_schema("cancel", ActionSerializer, "planned or scheduled → cancelled.")
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        return self._run(request, ActionSerializer, lambda window, data, now: lifecycle.cancel(window, **data))

    @_action_schema("reschedule", RescheduleSerializer, "New times for a planned or scheduled window.")
    @action(detail=True, methods=["post"])
    def reschedule(self, request, pk=None):
        return self._run(
            request,
            RescheduleSerializer,
            lambda window, data, now: lifecycle.reschedule(
                window, data.pop("starts_at"), data.pop("ends_at"), now=now, **data
            ),
            idempotent_by_key=True,
        )

    @_action_schema(
        "extend",
        ExtendSerializer,
        "Move the end of a scheduled or running window to `until` (repeating it changes nothing) or back by "
        f"`minutes` (each call adds them again). No window ends more than {bounds.MAX_LENGTH_MINUTES} minutes "
        "after its start.",
    )
    @action(detail=True, methods=["post"])
    def extend(self, request, pk=None):
        return self._run(
            request,
            ExtendSerializer,
            lambda window, data, now: lifecycle.extend(window, now=now, **data),
            idempotent_by_key=True,
        )

    def _run(self, request, body_class, call, idempotent_by_key=False):
        window = self.get_object()
        body = body_class(data=request.data)
        body.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key") if idempotent_by_key else None
        if key is None:
            return self._transition(window, body.validated_data, call, request)
        if not 1 <= len(key) <= 200 or not key.isprintable():
            raise exceptions.ValidationError(
                {"detail": "The Idempotency-Key header must be 1 to 200 printable characters."}
            )
        endpoint = f"windows/{window.pk}/{self.action}"
        digest = hashlib.sha256(json.dumps(request.data, sort_keys=True, default=str).encode()).hexdigest()
        try:
            with transaction.atomic():
                stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
                if stored is None:
                    response = self._transition(window, body.validated_data, call, request)
                    IdempotencyKey.objects.create(
                        user=request.user,
                        key=key,
                        endpoint=endpoint,
                        request_hash=digest,
                        response_status=response.status_code,
                        response_body=json.loads(json.dumps(response.data, default=str)),
                        created_at=timezone.now(),
                    )
                    return response
        except IntegrityError:
            # A concurrent call with the same key won; its change stands and ours was rolled back.
            stored = IdempotencyKey.objects.get(user=request.user, key=key)
        if stored.endpoint != endpoint or stored.request_hash != digest:
            return Response(
                {"detail": _("This Idempotency-Key was already used with another endpoint or body; use a new key.")},
                status=status.HTTP_422_UNPROCESSABLE_ENTITY,
            )
        return Response(stored.response_body, status=stored.response_status, headers={"Idempotent-Replayed": "true"})

    def _transition(self, window, data, call, request):
        data = {**data, "actor": request.user}
        try:
            outcome = call(window, data, timezone.now())
        except bounds.TimesError as exc:
            raise exceptions.ValidationError({exc.field: [str(exc)]}) from None
        except lifecycle.TransitionError as exc:
            raise Conflict(str(exc)) from None
        return Response({**WindowSerializer(outcome.window).data, "message": outcome.message})


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The transition is not allowed now.")
    default_code = "conflict"
