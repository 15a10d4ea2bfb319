"""POST /api/v1/subscriptions/: the same answer for every address; only the email that follows differs."""

from django.conf import settings
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from notifications import subscriptions
from notifications.forms import SubscribeForm
from notifications.models import Subscriber
from notifications.views import body_too_large, rate_limited

ACCEPTED_DETAIL = "If the address can receive mail, a message is on its way to it. Follow its link to confirm."
FIELDS = {"email", "regions", "language", "timezone", "notify_start_end", "topics"}


def _types_error(data):
    if not isinstance(data, dict):
        return {"body": ["Send a JSON object."]}
    errors = {}
    if not isinstance(data.get("email"), str):
        errors["email"] = ["Give the address as a string."]
    if not isinstance(data.get("regions"), list):
        errors["regions"] = ["Give the regions as a list of slugs."]
    for name in ("language", "timezone"):
        if name in data and data[name] is not None and not isinstance(data[name], str):
            errors[name] = ["Give this as a string."]
    if "notify_start_end" in data and not isinstance(data["notify_start_end"], bool):
        errors["notify_start_end"] = ["Give true or false."]
    if "topics" in data and not (
        isinstance(data["topics"], list) and all(isinstance(item, str) for item in data["topics"])
    ):
        errors["topics"] = ["Give the topics as a list: maintenance, incidents or both."]
    unknown = sorted(set(data) - FIELDS)
    if unknown:
        errors[unknown[0]] = ["Unknown field."]
    return errors


def bad_request(errors):
    """A 400 naming every field in ``errors`` ({field: [messages]}), its detail led by the first message."""
    fields = ", ".join(errors)
    first = next(iter(errors.values()))[0]
    return Response(
        {"detail": f"Invalid input: {fields}. {first}", "errors": errors}, status=status.HTTP_400_BAD_REQUEST
    )


class SubscriptionView(APIView):
    authentication_classes = []
    permission_classes = []
    # JSON only, read by the project's configured JSON parser (finite numbers, well-formed text), like every API.
    parser_classes = [p for p in api_settings.DEFAULT_PARSER_CLASSES if p.media_type == "application/json"]

    @extend_schema(
        summary="Subscribe",
        description="Start a subscription. The reply is the same for every address; a confirmation "
        "(or an 'already subscribed' note) is emailed.",
        request=inline_serializer(
            "SubscriptionRequest",
            {
                "email": serializers.EmailField(),
                "regions": serializers.ListField(child=serializers.SlugField(), min_length=1),
                "language": serializers.ChoiceField(choices=Subscriber.Language.values),
                "timezone": serializers.CharField(required=False),
                "notify_start_end": serializers.BooleanField(required=False),
                "topics": serializers.ListField(
                    child=serializers.ChoiceField(choices=["maintenance", "incidents"]),
                    required=False,
                    min_length=1,
                    help_text="What to hear about in these regions: planned maintenance, incidents or both "
                    "(the default).",
                ),
            },
        ),
        responses={
            202: inline_serializer("SubscriptionAccepted", {"detail": serializers.CharField()}),
            400: OpenApiResponse(description="Invalid input; `detail` names the field."),
            429: OpenApiResponse(description="Too many requests from this client or for this address."),
        },
    )
    def post(self, request):
        if body_too_large(request._request):
            too_large = f"The request body is larger than {settings.SUBSCRIBE_MAX_BODY_BYTES} bytes."
            return bad_request({"body": [too_large]})
        data = request.data
        errors = _types_error(data)
        if errors:
            rate_limited(request._request)
            return bad_request(errors)
        fields = {
            "email": data["email"],
            "regions": data["regions"],
            "language": data.get("language") or "en",
            "timezone": data.get("timezone") or "",
            "notify_start_end": bool(data.get("notify_start_end")),
        }
        if "topics" in data:
            fields["topics"] = data["topics"]
        form = SubscribeForm(fields)
        if not form.is_valid():
            rate_limited(request._request)
            return bad_request({name: [str(message) for message in messages] for name, messages in form.errors.items()})
        if rate_limited(request._request, form.cleaned_data["email"]):
            return Response({"detail": "Too many requests; try again later."}, status=status.HTTP_429_TOO_MANY_REQUESTS)
        cleaned = form.cleaned_data
        subscriptions.subscribe(
            cleaned["email"],
            cleaned["regions"],
            cleaned["language"],
            cleaned["timezone"],
            cleaned["notify_start_end"],
            **form.topic_flags(default={}),
        )
        return Response({"detail": ACCEPTED_DETAIL}, status=status.HTTP_202_ACCEPTED)
