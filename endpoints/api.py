"""POST /api/v1/webhooks/: subscribe an endpoint to webhooks. The owner confirms by email before anything is sent."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from endpoints import subscriptions
from endpoints.models import Topic
from notifications.api import bad_request
from notifications.views import body_too_large, rate_limited

FIELDS = {"url", "regions", "topics", "email"}
CREATED_DETAIL = (
    "Keep the secret: it signs every webhook and is not shown again. "
    "Nothing is sent until the owner follows the link in the email that is on its way."
)


def _types_error(data):
    if not isinstance(data, dict):
        return {"body": ["Send a JSON object."]}
    errors = {}
    for name in ("url", "email"):
        if not isinstance(data.get(name), str):
            errors[name] = ["Give this as a string."]
    for name, what in (("regions", "region slugs"), ("topics", "topics (maintenance, incidents)")):
        value = data.get(name)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            errors[name] = [f"Give the {what} as a list of strings."]
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        errors[unknown[0]] = ["Unknown field."]
    return errors


class WebhookSubscriptionView(APIView):
    authentication_classes = []
    permission_classes = []
    parser_classes = [p for p in api_settings.DEFAULT_PARSER_CLASSES if p.media_type == "application/json"]

    @extend_schema(
        summary="Subscribe a webhook endpoint",
        description="Statuspage-shaped webhooks, signed per Standard Webhooks, about the regions and topics "
        "chosen. The endpoint must be https and resolve to public addresses. The answer carries the signing "
        "secret, once; the owner confirms by email before anything is sent.",
        request=inline_serializer(
            "WebhookSubscriptionRequest",
            {
                "url": serializers.URLField(max_length=2000),
                "regions": serializers.ListField(child=serializers.SlugField(), min_length=1),
                "topics": serializers.ListField(child=serializers.ChoiceField(choices=Topic.values), min_length=1),
                "email": serializers.EmailField(),
            },
        ),
        responses={
            201: inline_serializer(
                "WebhookSubscriptionCreated",
                {
                    "id": serializers.IntegerField(),
                    "url": serializers.URLField(),
                    "regions": serializers.ListField(child=serializers.SlugField()),
                    "topics": serializers.ListField(child=serializers.CharField()),
                    "state": serializers.CharField(),
                    "secret": serializers.CharField(),
                    "detail": serializers.CharField(),
                },
            ),
            400: OpenApiResponse(description="Invalid input; `detail` names the field."),
            429: OpenApiResponse(description="Too many requests from this client or for this address."),
        },
    )
    def post(self, request):
        if body_too_large(request._request):
            return bad_request(
                {"body": [f"The request body is larger than {settings.SUBSCRIBE_MAX_BODY_BYTES} bytes."]}
            )
        data = request.data
        errors = _types_error(data)
        if errors:
            rate_limited(request._request)
            return bad_request(errors)
        form = subscriptions.SubscribeForm(
            {"url": data["url"], "regions": data["regions"], "topics": data["topics"], "email": data["email"]}
        )
        if not form.is_valid():
            rate_limited(request._request)
            return bad_request({name: [str(message) for message in messages] for name, messages in form.errors.items()})
        cleaned = form.cleaned_data
        if rate_limited(request._request, cleaned["email"]):
            return Response({"detail": "Too many requests; try again later."}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        subscription, secret = subscriptions.subscribe(
            cleaned["url"], cleaned["regions"], cleaned["topics"], cleaned["email"]
        )
        return Response(
            {
                "id": subscription.pk,
                "url": subscription.url,
                "regions": sorted(region.slug for region in cleaned["regions"]),
                "topics": subscription.topics,
                "state": subscription.state,
                "secret": secret,
                "detail": CREATED_DETAIL,
            },
            status=status.HTTP_201_CREATED,
        )
