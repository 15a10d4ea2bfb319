"""The SLA ledger in the v1 API."""

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from maintenance import sla
from maintenance.rule import Month

SLA_ROW = inline_serializer(
    "SlaRow",
    {
        "region": serializers.CharField(),
        "month": serializers.CharField(help_text="YYYY-MM, the region's local calendar month."),
        "minutes_in_month": serializers.IntegerField(help_text="Real elapsed minutes: a DST month is 60 off."),
        "downtime_minutes": serializers.DecimalField(
            max_digits=10, decimal_places=2, coerce_to_string=False, help_text="Exact; whole minutes as integers."
        ),
        "maintenance_minutes": serializers.DecimalField(
            max_digits=10,
            decimal_places=2,
            coerce_to_string=False,
            help_text="Announced maintenance set aside by SLA_EXCLUDED_MAINTENANCE (its weekend part by default).",
        ),
        "excluded_minutes": serializers.DictField(
            child=serializers.DecimalField(max_digits=10, decimal_places=2, coerce_to_string=False),
            help_text="Incident time excluded per SLA category (force_majeure, government, flood, fire, earthquake, "
            "riots, terror, isp, ddos); every category is present, each minute counted once.",
        ),
        "availability_percent": serializers.DecimalField(max_digits=8, decimal_places=4, coerce_to_string=False),
        "met": serializers.BooleanField(help_text="availability_percent >= SLA_TARGET"),
    },
    many=True,
)


class SlaView(APIView):
    """One row per active region for one month."""

    pagination_class = None

    @extend_schema(
        summary="Monthly availability per region",
        parameters=[
            OpenApiParameter(
                "month",
                {"type": "string", "pattern": "^[0-9]{4}-(0[1-9]|1[0-2])$"},
                description="YYYY-MM; defaults to the current month (UTC).",
                required=False,
            )
        ],
        responses={200: SLA_ROW, 400: OpenApiResponse(description="`month` is not YYYY-MM.")},
    )
    def get(self, request):
        now = timezone.now()
        text = request.query_params.get("month")
        if text is None:
            month = sla.current_month(now)
        else:
            try:
                month = Month.parse(text)
            except ValueError as exc:
                raise exceptions.ValidationError({"detail": str(exc)}) from None
        return Response([_json(row.as_dict()) for row in sla.ledger([month], now)])


def _json(row):
    """Decimals as JSON numbers: whole minutes as integers, others as floats with their fixed places."""
    return {key: _number(value) for key, value in row.items()}


def _number(value):
    if isinstance(value, dict):
        return {key: _number(item) for key, item in value.items()}
    return float(value) if hasattr(value, "quantize") else value
