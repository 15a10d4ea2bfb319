"""Monitors open and resolve incidents: Alertmanager's webhook and a generic event endpoint.

Both take ``Authorization: Bearer <token>``, a hashed API token (``manage.py automation_token``) whose user has
``maintenance.automate_incidents``.
A body is read in full and checked before anything is applied: bad input gets a 4xx with one sentence naming
the field, and nothing stored changes. Alerts that are well-formed but not for this status page (no region
label, an unknown region, a repeat) are answered 200 and listed under ``ignored``.
"""

import io
import re
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from rest_framework.exceptions import AuthenticationFailed, ParseError

from maintenance import automation
from statuspage.api.auth import TokenAuthentication
from statuspage.api.parsers import JSONParser

CLOCK_SKEW = timedelta(minutes=5)
GO_ZERO_TIME = "0001-01-01T00:00:00Z"
SOURCE = re.compile(r"[a-z0-9][a-z0-9._-]{0,59}")
SLUG_SPLIT = re.compile(r"[\s,]+")


class Refused(Exception):
    def __init__(self, status, detail):
        super().__init__(detail)
        self.status, self.detail = status, detail


def _answer(status, detail, **extra):
    response = JsonResponse({"detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="offpeak"'
    return response


def endpoint(read):
    """A POST view: authenticate, read the JSON body within limits, turn it into signals with ``read``, apply."""

    @csrf_exempt
    @require_POST
    def view(request):
        try:
            user = _authenticate(request)
            payload = _body(request)
            now = timezone.now()
            signals, ignored = read(payload, now)
        except Refused as refused:
            return _answer(refused.status, refused.detail)
        outcome = automation.apply(signals, user=user, now=now)
        ignored = ignored + outcome.ignored
        detail = f"Applied {len(outcome.applied)} alert(s); ignored {len(ignored)}."
        return _answer(200, detail, applied=outcome.applied, ignored=ignored)

    return view


def _authenticate(request):
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise Refused(401, "Send the token in an Authorization: Bearer <token> header.")
    try:
        user, _token = TokenAuthentication().authenticate_credentials(key.encode())
    except AuthenticationFailed:
        raise Refused(401, "The bearer token is not valid.") from None
    if not user.has_perm("maintenance.automate_incidents"):
        raise Refused(
            403, "The token's user lacks the permission to open incidents from alerts (maintenance.automate_incidents)."
        )
    return user


def _body(request):
    limit = settings.AUTOMATION_MAX_BODY_BYTES
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        raise Refused(400, "The Content-Length header is not a number.") from None
    if declared > limit:
        raise Refused(413, f"The body is {declared} bytes; at most {limit} are accepted.")
    raw = request.read(limit + 1)
    if len(raw) > limit:
        raise Refused(413, f"The body is over {limit} bytes; at most {limit} are accepted.")
    if not raw:
        raise Refused(400, "The body is empty; send a JSON object.")
    if request.content_type != "application/json":
        raise Refused(415, "Send the body as application/json.")
    try:
        return JSONParser().parse(io.BytesIO(raw), parser_context={"encoding": "utf-8"})
    except ParseError as exc:
        raise Refused(400, str(exc.detail)) from None


# --- reading the payloads -------------------------------------------------------


def _object(value, where, required=True):
    if value is None and not required:
        return {}
    if not isinstance(value, dict):
        raise Refused(400, f"{where} must be a JSON object." if value is not None else f"{where} is missing.")
    return value


def _strings(value, where, required):
    mapping = _object(value, where, required)
    for name, item in mapping.items():
        if not isinstance(item, str):
            raise Refused(400, f"{where}.{name} must be a string.")
    return mapping


def _text(value, where, max_length, required=True):
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise Refused(400, f"{where} must be a non-empty string." if required else f"{where} must be a string.")
    if len(value) > max_length:
        raise Refused(400, f"{where} is longer than {max_length} characters.")
    return value


def _time(value, where, now, required=True):
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Refused(400, f"{where} must be an RFC 3339 time such as 2026-01-31T22:00:00Z.")
    try:
        moment = datetime.fromisoformat(_trim_fraction(value))
    except ValueError:
        raise Refused(400, f"{where} is not an RFC 3339 time: {value[:40]!r}.") from None
    if moment.tzinfo is None:
        raise Refused(400, f"{where} has no UTC offset: {value[:40]!r}.")
    moment = moment.astimezone(UTC)
    if moment > now + CLOCK_SKEW:
        raise Refused(400, f"{where} is in the future ({value[:40]}); check the monitor's clock.")
    oldest = now - timedelta(days=settings.AUTOMATION_MAX_AGE_DAYS)
    if moment < oldest:
        raise Refused(
            400, f"{where} is more than {settings.AUTOMATION_MAX_AGE_DAYS} days ago ({value[:40]}); it is refused."
        )
    return moment


def _trim_fraction(value):
    """Go writes nanoseconds; Python reads at most microseconds."""
    return re.sub(r"(\.\d{6})\d+", r"\1", value)


def _one_line(text, max_length=200):
    line = " ".join(text.split())
    return line if len(line) <= max_length else line[: max_length - 1] + "…"


def read_alertmanager(payload, now):
    """Alertmanager's webhook payload (version 4) as signals, and the alerts ignored for naming no region."""
    payload = _object(payload, "The body")
    if "version" not in payload:
        raise Refused(400, 'version is missing; Alertmanager sends version "4".')
    if payload["version"] != "4":
        got = str(payload["version"])[:20]
        raise Refused(400, f'version must be "4", Alertmanager\'s webhook format; got {got!r}.')
    group_key = _text(payload.get("groupKey"), "groupKey", 10_000)
    if payload.get("status") not in ("firing", "resolved"):
        raise Refused(400, 'status must be "firing" or "resolved".')
    alerts = payload.get("alerts")
    if not isinstance(alerts, list):
        raise Refused(400, "alerts must be a list." if alerts is not None else "alerts is missing.")
    if not alerts:
        raise Refused(400, "alerts is empty; a notification carries at least one alert.")
    limit = settings.AUTOMATION_MAX_ALERTS
    if len(alerts) > limit:
        raise Refused(
            413,
            f"alerts holds {len(alerts)} alerts; at most {limit} are accepted in one notification "
            f"(set max_alerts: {limit} in the webhook receiver).",
        )
    region_label, severity_label = settings.AUTOMATION_REGION_LABEL, settings.AUTOMATION_SEVERITY_LABEL
    signals, ignored = [], []
    for index, alert in enumerate(alerts):
        where = f"alerts[{index}]"
        alert = _object(alert, where)
        status = alert.get("status")
        if status not in ("firing", "resolved"):
            raise Refused(400, f'{where}.status must be "firing" or "resolved".')
        if "labels" not in alert:
            raise Refused(400, f"{where}.labels is missing; an alert without labels names no region.")
        labels = _strings(alert.get("labels"), f"{where}.labels", True)
        annotations = _strings(alert.get("annotations"), f"{where}.annotations", False)
        fingerprint = _text(alert.get("fingerprint"), f"{where}.fingerprint", 200)
        starts_at = _time(alert.get("startsAt"), f"{where}.startsAt", now)
        ends_at = None
        if status == "resolved":
            ends_at = _time(alert.get("endsAt"), f"{where}.endsAt", now)
            if ends_at < starts_at:
                raise Refused(400, f"{where}.endsAt is before its startsAt.")
        slugs = tuple(slug for slug in SLUG_SPLIT.split(labels.get(region_label, "").strip().lower()) if slug)
        if not slugs:
            ignored.append({"alert": fingerprint, "reason": f"It has no {region_label!r} label."})
            continue
        name = labels.get("alertname") or fingerprint
        title = _one_line(annotations.get("summary") or name)
        body = annotations.get("description") or annotations.get("summary") or name
        if status == "resolved":
            body = f"Resolved: {body}"
        signals.append(
            automation.Signal(
                source="alertmanager",
                group=group_key,
                fingerprint=fingerprint,
                receipt=f"{fingerprint}|{starts_at.isoformat()}|{status}",
                region_slugs=slugs,
                firing=status == "firing",
                impact=automation.impact_for(labels.get(severity_label)),
                title=title,
                body=body[:10000],
                starts_at=starts_at,
                ends_at=ends_at,
            )
        )
    return signals, ignored


EVENT_STATUS = {
    "down": (True, automation.Impact.CRITICAL),
    "degraded": (True, automation.Impact.MINOR),
    "up": (False, None),
}


def read_event(payload, now):
    """``{region, status: down|degraded|up, summary, source, id}`` from any monitor, as one signal."""
    payload = _object(payload, "The body")
    source = _text(payload.get("source"), "source", 60)
    if not SOURCE.fullmatch(source):
        raise Refused(400, "source must be a short name: lower-case letters, digits, '.', '_' or '-'.")
    event_id = _text(payload.get("id"), "id", 200)
    if not event_id.isprintable():
        raise Refused(400, "id must be printable text.")
    region = _text(payload.get("region"), "region", 40).strip().lower()
    if payload.get("status") not in EVENT_STATUS:
        raise Refused(400, 'status must be "down", "degraded" or "up".')
    summary = _text(payload.get("summary"), "summary", 10000, required=False)
    firing, impact = EVENT_STATUS[payload["status"]]
    title = _one_line(summary or f"{source}: {region} is {payload['status']}")
    signal = automation.Signal(
        source=source,
        group=region,
        fingerprint=f"{source}:{region}",
        receipt=f"event|{event_id}",
        region_slugs=(region,),
        firing=firing,
        impact=impact or automation.Impact.MINOR,
        title=title,
        body=summary or title,
        starts_at=now,
        ends_at=None if firing else now,
    )
    return [signal], []


alertmanager_webhook = endpoint(read_alertmanager)
monitor_event = endpoint(read_event)
