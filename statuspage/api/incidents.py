"""Incidents in the v1 API: anyone may read them; release managers open, update and resolve them."""

from django.db.models import Prefetch
from django.utils import timezone
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from maintenance import incidents
from maintenance.models import Incident, IncidentUpdate, Region
from maintenance.validators import validate_one_line_title
from statuspage.api.serializers import TextField
from statuspage.api.views import (
    BAD_BODY,
    BAD_PAGE,
    CONFLICT,
    FORBIDDEN,
    NO_AUTH,
    NOT_FOUND,
    PAST_LAST_PAGE,
    Conflict,
    IsReleaseManager,
)


class IncidentUpdateSerializer(serializers.ModelSerializer):
    class Meta:
        model = IncidentUpdate
        fields = ["status", "body", "created_at", "deliver_notifications"]
        read_only_fields = fields


class IncidentSerializer(serializers.ModelSerializer):
    regions = serializers.SlugRelatedField(slug_field="slug", many=True, read_only=True)
    updates = IncidentUpdateSerializer(many=True, read_only=True, help_text="Newest first.")

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "regions",
            "impact",
            "status",
            "started_at",
            "resolved_at",
            "source",
            "updates",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields


OPENING_STATUSES = [choice for choice in Incident.Status.choices if choice[0] != Incident.Status.RESOLVED]


def notify_field():
    return serializers.BooleanField(
        required=False,
        default=True,
        help_text="Send subscribers a notice of this update (the default); false posts it on the page only.",
    )


class OpenIncidentSerializer(serializers.Serializer):
    title = TextField(max_length=200, validators=[validate_one_line_title])
    regions = serializers.ListField(
        child=serializers.SlugRelatedField(slug_field="slug", queryset=Region.objects.all()),
        min_length=1,
        max_length=100,
        help_text="Region slugs, e.g. eu-frankfurt.",
    )
    impact = serializers.ChoiceField(choices=Incident.Impact.choices, default=Incident.Impact.MINOR)
    status = serializers.ChoiceField(choices=OPENING_STATUSES, default=Incident.Status.INVESTIGATING)
    body = TextField(max_length=10000, help_text="The first message customers read.")
    started_at = serializers.DateTimeField(required=False, help_text="Defaults to now; not in the future.")
    deliver_notifications = notify_field()

    def validate_regions(self, value):
        if not value:
            raise serializers.ValidationError("Name at least one region.")
        return value

    def validate_started_at(self, value):
        if value > timezone.now():
            raise serializers.ValidationError("An incident cannot start in the future.")
        return value


class PostUpdateSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Incident.Status.choices)
    body = TextField(max_length=10000)
    impact = serializers.ChoiceField(choices=Incident.Impact.choices, required=False)
    deliver_notifications = notify_field()


class ResolveSerializer(serializers.Serializer):
    body = serializers.CharField(max_length=10000, required=False, allow_blank=True, default="")
    resolved_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")
    deliver_notifications = notify_field()


WRITE_ERRORS = {400: BAD_BODY, 401: NO_AUTH, 403: FORBIDDEN, 404: NOT_FOUND, 409: CONFLICT}


@extend_schema_view(
    list=extend_schema(
        summary="List incidents",
        description="Newest first, with their updates.",
        responses={200: IncidentSerializer(many=True), 400: BAD_PAGE, 404: PAST_LAST_PAGE},
    ),
    retrieve=extend_schema(summary="One incident", responses={200: IncidentSerializer, 404: NOT_FOUND}),
    create=extend_schema(
        summary="Open an incident",
        request=OpenIncidentSerializer,
        responses={201: IncidentSerializer, **WRITE_ERRORS},
    ),
    partial_update=extend_schema(
        summary="Post an update",
        description="Adds a dated update with a status and a message; status `resolved` resolves it.",
        request=PostUpdateSerializer,
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    ),
)
class IncidentViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    queryset = Incident.objects.prefetch_related(
        Prefetch("regions", queryset=Region.objects.order_by("position", "slug")),
        Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-created_at", "-id")),
    ).order_by("-started_at", "-id")
    serializer_class = IncidentSerializer
    filter_backends = []
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_permissions(self):
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [IsReleaseManager()]

    def create(self, request, *args, **kwargs):
        body = OpenIncidentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            incident = incidents.open_incident(
                data["title"],
                data["regions"],
                data["impact"],
                data["body"],
                actor=request.user,
                status=data["status"],
                started_at=data.get("started_at"),
                deliver_notifications=data["deliver_notifications"],
            )
        except incidents.IncidentError as exc:
            raise Conflict(str(exc)) from None
        return Response(self._show(incident), status=status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        return self._post_update(request)

    @extend_schema(
        summary="Post an update",
        description="The same as PATCH on the incident.",
        request=PostUpdateSerializer,
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def updates(self, request, pk=None):
        return self._post_update(request)

    @extend_schema(
        summary="Resolve an incident",
        description="Resolving a resolved incident changes nothing.",
        request=ResolveSerializer,
        responses={200: IncidentSerializer, **WRITE_ERRORS},
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        incident = self.get_object()
        body = ResolveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        try:
            incidents.resolve(
                incident,
                body=body.validated_data["body"],
                actor=request.user,
                resolved_at=body.validated_data.get("resolved_at"),
                deliver_notifications=body.validated_data["deliver_notifications"],
            )
        except incidents.IncidentError as exc:
            raise Conflict(str(exc)) from None
        return Response(self._show(incident))

    def _post_update(self, request):
        incident = self.get_object()
        body = PostUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        try:
            incidents.post_update(
                incident,
                data["status"],
                data["body"],
                actor=request.user,
                impact=data.get("impact"),
                deliver_notifications=data["deliver_notifications"],
            )
        except incidents.IncidentError as exc:
            raise Conflict(str(exc)) from None
        return Response(self._show(incident))

    def _show(self, incident):
        return IncidentSerializer(self.get_queryset().get(pk=incident.pk)).data
