"""The SLA ledger in the v1 API."""

from django.conf import settings
from django.db.models import Max
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from maintenance import bounds, sla
from maintenance.models import Window
from maintenance.rule import Month
from statuspage import months

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
        "error_budget_minutes": serializers.DecimalField(
            max_digits=10,
            decimal_places=2,
            coerce_to_string=False,
            help_text="The downtime SLA_TARGET allows in the whole month: minutes_in_month × (100 − SLA_TARGET) ÷ 100.",
        ),
        "error_budget_left_minutes": serializers.DecimalField(
            max_digits=10,
            decimal_places=2,
            coerce_to_string=False,
            help_text="error_budget_minutes − downtime_minutes; negative once the month is over its budget.",
        ),
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
                description="YYYY-MM; defaults to the current month (UTC). From the first month with a window or "
                f"incident (at least {bounds.MAX_MONTHS_AHEAD} months back) to {bounds.MAX_MONTHS_AHEAD} "
                "months ahead.",
                required=False,
            )
        ],
        responses={
            200: SLA_ROW,
            400: OpenApiResponse(description="`month` is not YYYY-MM, or lies outside the months with data."),
        },
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
            if not in_range(month, now):
                first, last = month_range(now)
                raise exceptions.ValidationError(
                    {"month": [f"{month} lies outside the months this ledger covers: give one from {first} to {last}."]}
                )
        return Response([_json(_with_budget(row)) for row in sla.ledger([month], now)])


def in_range(month, now):
    """Whether the ledger answers for ``month``; the recent months need no query."""
    current = sla.current_month(now)
    if current.plus(-bounds.MAX_MONTHS_AHEAD) <= month <= current.plus(bounds.MAX_MONTHS_AHEAD):
        return True
    first, last = month_range(now)
    return first <= month <= last


def month_range(now):
    """The months the ledger answers for: from the first month with a window or incident (or at least
    ``MAX_MONTHS_AHEAD`` months back) to the last planned window's month (or at least as far ahead as a window may be
    moved)."""
    current = sla.current_month(now)
    first = min(months.earliest_month(now, months.newest_month(now)), current.plus(-bounds.MAX_MONTHS_AHEAD))
    last = current.plus(bounds.MAX_MONTHS_AHEAD)
    last_window = Window.objects.aggregate(last=Max("month"))["last"]
    if last_window:
        last = max(last, Month.of(last_window))
    return first, last


def _with_budget(row):
    budget = sla.budget(row, settings.SLA_TARGET)
    return {**row.as_dict(), "error_budget_minutes": budget.allowed, "error_budget_left_minutes": budget.left}


def _json(row):
    """Decimals as JSON numbers: whole minutes as integers, others as floats with their fixed places."""
    return {key: _number(value) for key, value in row.items()}


def _number(value):
    if isinstance(value, dict):
        return {key: _number(item) for key, item in value.items()}
    return float(value) if hasattr(value, "quantize") else value
