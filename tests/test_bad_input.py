"""Bad input, everywhere it can come in: every form, endpoint, URL parameter and command.

One table: each row sends one bad thing and must get its exact 4xx status with an error that names what is wrong (a
JSON `detail` and `errors` from the API, an error page or re-shown form from the pages) or, for a command, exit
status 2, while every stored row stays exactly as it was.

Then the payload rows: HTML and script in every text field must reach pages, feeds, emails and calendars escaped or
as inert text. Last, the address policy: an internationalised (IDN) domain, homographs included, is stored as
punycode, the same way by the form and the API; non-ASCII in the local part is refused.
"""

import json
import xml.etree.ElementTree as ET

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.forms.models import model_to_dict

from maintenance.models import AuditEvent, Freeze, IdempotencyKey, Incident, IncidentUpdate, Region, Window
from notifications import tokens
from notifications.emails import preview_message
from notifications.models import Delivery, Subscriber
from statuspage.models import ApiToken
from tests.conftest import NOW

LONG = "x" * 20_000
SURROGATE = "\ud800"
PAYLOAD = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"
STORED = [Region, Window, Freeze, Incident, IncidentUpdate, AuditEvent, IdempotencyKey, Subscriber, Delivery, User]


def snapshot():
    """Every stored row of every table a request could touch, with its many-to-many members."""
    rows = {}
    for model in STORED:
        rows[model.__name__] = [
            model_to_dict(obj, fields=None) | {"pk": obj.pk} for obj in model.objects.order_by("pk")
        ]
        for row in rows[model.__name__]:
            for key, value in row.items():
                if isinstance(value, list):
                    row[key] = sorted(getattr(item, "pk", item) for item in value)
    rows["ApiToken"] = list(ApiToken.objects.values_list("digest", "user_id", "expiry"))
    return json.loads(json.dumps(rows, default=str))


@pytest.fixture
def world(clock, window, manager):
    """November planned, a release manager with a token, a confirmed subscriber and an open incident; time stands
    still at NOW for the whole test."""
    token = ApiToken.objects.create(user=manager)[1]
    subscriber = Subscriber.objects.create(
        email="ada@example.com", state=Subscriber.State.CONFIRMED, created_at=NOW, confirmed_at=NOW
    )
    subscriber.regions.set([window.region])
    incident = Incident.objects.create(
        title="Slow logins", impact=Incident.Impact.MINOR, status=Incident.Status.INVESTIGATING, started_at=NOW
    )
    incident.regions.set([window.region])
    cache.clear()
    return {
        "window": window,
        "incident": incident,
        "token": token,
        "manager": manager,
        "manage": f"/subscription/manage/{tokens.make(tokens.MANAGE, subscriber.key)}/",
        "unsubscribe": f"/subscription/unsubscribe/{tokens.make(tokens.UNSUBSCRIBE, subscriber.key)}/",
    }


def api(client, world, method, path, body=None, content_type="application/json", raw=None, auth=True):
    headers = {"HTTP_AUTHORIZATION": f"Token {world['token']}"} if auth else {}
    data = raw if raw is not None else (json.dumps(body) if content_type == "application/json" else body)
    return getattr(client, method)(path.format(**world_ids(world)), data=data, content_type=content_type, **headers)


def world_ids(world):
    return {"window": world["window"].pk, "incident": world["incident"].pk}


def form(client, world, path, data):
    return client.post(path.format(**world), data)


def get(client, world, path):
    return client.get(path.format(**world_ids(world)))


def admin(client, world, path, data):
    return client.post(f"/admin/maintenance/window/{world['window'].pk}/{path}/", data)


GOOD_SUBSCRIBE = {"email": "bob@example.com", "regions": ["eu-frankfurt"], "language": "en"}
W = "/api/v1/windows/{window}/"
I = "/api/v1/incidents/{incident}/"  # noqa: E741
XML = "<?xml version='1.0'?><reschedule><starts_at>2026-11-28T21:00Z</starts_at></reschedule>"
MULTIPART = "multipart/form-data; boundary=BoUnDaRy"
MULTIPART_BODY = '--BoUnDaRy\r\nContent-Disposition: form-data; name="minutes"\r\n\r\n10\r\n--BoUnDaRy--\r\n'

# (case, status, what the error names): how to send it. Every row must answer exactly that status and change nothing.
# What the error names: the field, as a key of the JSON `errors` or of a re-shown form's errors (a tuple when two
# fields are wrong, "__all__" for a form's error about the whole form); for an error about the whole request (its
# syntax, media type, token, link or the state of the window), the word its message must hold; None for a plain
# 404 page. Where the status is not the one HTTP asks for, the row says so.
HTTP_CASES = {
    # --- the subscribe page ---
    ("subscribe form: oversized email", 400, "email"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "email": "a" * 300 + "@example.com"}
    ),
    ("subscribe form: oversized timezone", 400, "timezone"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "timezone": "Europe/" + "x" * 100}
    ),
    ("subscribe form: CR/LF in email", 400, "email"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "email": "bob@example.com\r\nBcc: eve@example.com"}
    ),
    ("subscribe form: LF in timezone", 400, "timezone"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "timezone": "Europe/Berlin\nX-Evil: 1"}
    ),
    ("subscribe form: lone surrogate in email", 400, "email"): lambda c, w: c.post(
        "/subscribe/",
        b"email=bob%ED%A0%80%40example.com&regions=eu-frankfurt&language=en",
        content_type="application/x-www-form-urlencoded",
    ),
    ("subscribe form: invalid UTF-8 in email", 400, "email"): lambda c, w: c.post(
        "/subscribe/",
        b"email=b\xffob@example.com&regions=eu-frankfurt&language=en",
        content_type="application/x-www-form-urlencoded",
    ),
    ("subscribe form: Cyrillic in the local part", 400, "email"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "email": "b\u043eb@example.com"}
    ),
    ("subscribe form: HTML as email", 400, "email"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "email": PAYLOAD}
    ),
    ("subscribe form: HTML as region", 400, "regions"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "regions": PAYLOAD}
    ),
    ("subscribe form: HTML as timezone", 400, "timezone"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "timezone": PAYLOAD}
    ),
    # HTTP asks for 413 Content Too Large here, and in the API row below; the pages and the API answer 400.
    ("subscribe form: body over the limit", 400, "form"): lambda c, w: form(
        c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "website": "", "timezone": "y" * 5000}
    ),
    # --- the subscribe API ---
    ("subscribe API: malformed JSON", 400, "JSON"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw='{"email": "a@b.c",'
    ),
    ("subscribe API: text/plain", 415, "text/plain"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw=json.dumps(GOOD_SUBSCRIBE), content_type="text/plain"
    ),
    ("subscribe API: XML", 415, "application/xml"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw="<email>a@b.c</email>", content_type="application/xml"
    ),
    ("subscribe API: multipart", 415, "multipart/form-data"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw=MULTIPART_BODY, content_type=MULTIPART
    ),
    ("subscribe API: a JSON list", 400, "body"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", [GOOD_SUBSCRIBE]
    ),
    ("subscribe API: oversized email", 400, "email"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "email": "a" * 300 + "@example.com"}
    ),
    # 413 would be right, as above.
    ("subscribe API: body over the limit", 400, "body"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "timezone": LONG}
    ),
    ("subscribe API: CR/LF in email", 400, "email"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "email": "bob@example.com\r\nBcc: e@example.com"}
    ),
    ("subscribe API: lone surrogate in email", 400, "body"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw='{"email": "b\\ud800b@example.com", "regions": ["eu-frankfurt"]}'
    ),
    ("subscribe API: invalid UTF-8", 400, "body"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw=b'{"email": "b\xffb@example.com", "regions": ["eu-frankfurt"]}'
    ),
    ("subscribe API: 1e309 as email", 400, "1e309"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", raw='{"email": 1e309, "regions": ["eu-frankfurt"]}'
    ),
    ("subscribe API: 2**70 as region", 400, "regions"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "regions": [2**70]}
    ),
    ("subscribe API: negative notify flag", 400, "notify_start_end"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "notify_start_end": -1}
    ),
    ("subscribe API: HTML as region", 400, "regions"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "regions": [PAYLOAD]}
    ),
    ("subscribe API: HTML as language", 400, "language"): lambda c, w: api(
        c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "language": PAYLOAD}
    ),
    # --- manage and unsubscribe ---
    ("manage form: oversized timezone", 400, "timezone"): lambda c, w: form(
        c, w, "{manage}", {"regions": "eu-frankfurt", "language": "en", "timezone": LONG}
    ),
    ("manage form: CR/LF in timezone", 400, "timezone"): lambda c, w: form(
        c, w, "{manage}", {"regions": "eu-frankfurt", "language": "en", "timezone": "UTC\r\nX: y"}
    ),
    ("manage form: HTML as region", 400, "regions"): lambda c, w: form(
        c, w, "{manage}", {"regions": PAYLOAD, "language": "en"}
    ),
    ("manage form: unknown language", 400, "language"): lambda c, w: form(
        c, w, "{manage}", {"regions": "eu-frankfurt", "language": "xx"}
    ),
    ("manage form: forged token", 400, "link"): lambda c, w: c.post(
        "/subscription/manage/AAAA.BBBB/", {"action": "delete"}
    ),
    ("manage form: oversized token", 400, "link"): lambda c, w: c.post(
        f"/subscription/manage/{LONG}/", {"action": "delete"}
    ),
    ("unsubscribe: forged token", 400, "link"): lambda c, w: c.post("/subscription/unsubscribe/eyJrIjoxfQ.x/"),
    ("unsubscribe one-click: lone surrogate in token", 400, "link"): lambda c, w: c.post(
        "/subscription/unsubscribe/%ED%A0%80/", {"List-Unsubscribe": "One-Click"}
    ),
    ("unsubscribe one-click: HTML as token", 400, "link"): lambda c, w: c.post(
        "/subscription/unsubscribe/%3Cscript%3E/", {"List-Unsubscribe": "One-Click"}
    ),
    ("unsubscribe: manage token used to unsubscribe", 400, "link"): lambda c, w: c.post(
        w["manage"].replace("/manage/", "/unsubscribe/"), {"List-Unsubscribe": "One-Click"}
    ),
    ("confirm: forged token", 400, "link"): lambda c, w: c.get("/subscription/confirm/forged/"),
    # --- v1 window actions with a token ---
    ("announce: malformed JSON", 400, "JSON"): lambda c, w: api(c, w, "post", W + "announce/", raw="{"),
    ("announce: text/plain", 415, "text/plain"): lambda c, w: api(
        c, w, "post", W + "announce/", raw="reason=x", content_type="text/plain"
    ),
    ("announce: XML", 415, "application/xml"): lambda c, w: api(
        c, w, "post", W + "announce/", raw=XML, content_type="application/xml"
    ),
    ("announce: oversized reason", 400, "reason"): lambda c, w: api(
        c, w, "post", W + "announce/", {"reason": "r" * 501}
    ),
    ("announce: no token", 401, "token"): lambda c, w: api(c, w, "post", W + "announce/", {}, auth=False),
    ("announce: a window that does not exist", 404, "Window"): lambda c, w: api(
        c, w, "post", "/api/v1/windows/999999/announce/", {}
    ),
    ("announce: 2**70 as window id", 404, "Window"): lambda c, w: api(
        c, w, "post", f"/api/v1/windows/{2**70}/announce/", {}
    ),
    ("start: 1e309 as reason", 400, "1e309"): lambda c, w: api(c, w, "post", W + "start/", raw='{"reason": 1e309}'),
    ("complete: a window not started", 409, "planned"): lambda c, w: api(c, w, "post", W + "complete/", {}),
    ("cancel: lone surrogate in reason", 400, "body"): lambda c, w: api(
        c, w, "post", W + "cancel/", raw='{"reason": "\\udc80"}'
    ),
    ("reschedule: start is garbage", 400, "starts_at"): lambda c, w: api(
        c, w, "post", W + "reschedule/", {"starts_at": "<script>", "ends_at": "2026-11-28T21:30Z"}
    ),
    ("reschedule: year 10000", 400, ("starts_at", "ends_at")): lambda c, w: api(
        c, w, "post", W + "reschedule/", {"starts_at": "10000-01-01T00:00Z", "ends_at": "10000-01-01T00:30Z"}
    ),
    ("reschedule: 1e309 as start", 400, "1e309"): lambda c, w: api(
        c, w, "post", W + "reschedule/", raw='{"starts_at": 1e309, "ends_at": "2026-11-28T21:30Z"}'
    ),
    ("reschedule: negative number as end", 400, "ends_at"): lambda c, w: api(
        c, w, "post", W + "reschedule/", {"starts_at": "2026-11-28T21:00Z", "ends_at": -5}
    ),
    ("reschedule: end before start", 400, "ends_at"): lambda c, w: api(
        c, w, "post", W + "reschedule/", {"starts_at": "2026-11-28T21:00Z", "ends_at": "2026-11-28T20:00Z"}
    ),
    ("reschedule: XML", 415, "application/xml"): lambda c, w: api(
        c, w, "post", W + "reschedule/", raw=XML, content_type="application/xml"
    ),
    ("extend: 2**70 minutes", 400, "minutes"): lambda c, w: api(c, w, "post", W + "extend/", {"minutes": 2**70}),
    ("extend: 1e309 minutes", 400, "1e309"): lambda c, w: api(c, w, "post", W + "extend/", raw='{"minutes": 1e309}'),
    ("extend: NaN minutes", 400, "NaN"): lambda c, w: api(c, w, "post", W + "extend/", raw='{"minutes": NaN}'),
    ("extend: negative minutes", 400, "minutes"): lambda c, w: api(c, w, "post", W + "extend/", {"minutes": -15}),
    ("extend: minutes as a list", 400, "minutes"): lambda c, w: api(c, w, "post", W + "extend/", {"minutes": [10]}),
    ("extend: multipart on a planned window", 409, "planned"): lambda c, w: api(
        c, w, "post", W + "extend/", raw=MULTIPART_BODY, content_type=MULTIPART
    ),
    ("extend: oversized Idempotency-Key", 400, "Idempotency-Key"): lambda c, w: c.post(
        W.format(**world_ids(w)) + "extend/",
        data=json.dumps({"minutes": 10}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Token {w['token']}",
        HTTP_IDEMPOTENCY_KEY="k" * 201,
    ),
    # --- v1 incidents with a token ---
    ("open incident: oversized title", 400, "title"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", {"title": "t" * 201, "regions": ["eu-frankfurt"], "body": "b"}
    ),
    ("open incident: oversized body", 400, "body"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", {"title": "t", "regions": ["eu-frankfurt"], "body": LONG}
    ),
    ("open incident: HTML as region", 400, "regions"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", {"title": "t", "regions": [PAYLOAD], "body": "b"}
    ),
    ("open incident: lone surrogate in title", 400, "body"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", raw='{"title": "\\ud800", "regions": ["eu-frankfurt"], "body": "b"}'
    ),
    ("open incident: starts in year 2**70", 400, "started_at"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", {"title": "t", "regions": ["us"], "body": "b", "started_at": str(2**70)}
    ),
    ("open incident: starts in the future", 400, "started_at"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", {"title": "t", "regions": ["us"], "body": "b", "started_at": "2999-01-01"}
    ),
    ("open incident: CR/LF in title", 400, "title"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", {"title": "Slow\r\nX-Injected: 1", "regions": ["us"], "body": "b"}
    ),
    ("open incident: malformed JSON", 400, "JSON"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", raw='{"title": '
    ),
    ("open incident: text/plain", 415, "text/plain"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/", raw="title=t", content_type="text/plain"
    ),
    ("post update: unknown status", 400, "status"): lambda c, w: api(
        c, w, "patch", I, {"status": PAYLOAD, "body": "b"}
    ),
    ("post update: oversized body", 400, "body"): lambda c, w: api(
        c, w, "post", I + "updates/", {"status": "identified", "body": LONG}
    ),
    ("post update: negative impact", 400, "impact"): lambda c, w: api(
        c, w, "post", I + "updates/", {"status": "identified", "body": "b", "impact": -1}
    ),
    ("resolve: 1e309 as time", 400, "1e309"): lambda c, w: api(
        c, w, "post", I + "resolve/", raw='{"resolved_at": 1e309}'
    ),
    ("resolve: XML", 415, "application/xml"): lambda c, w: api(
        c, w, "post", I + "resolve/", raw=XML, content_type="application/xml"
    ),
    ("resolve: an incident that does not exist", 404, "Incident"): lambda c, w: api(
        c, w, "post", "/api/v1/incidents/0/resolve/", {}
    ),
    # --- v1 read filters and parameters ---
    ("windows filter: garbage date", 400, "starts_after"): lambda c, w: get(
        c, w, "/api/v1/windows/?starts_after=yesterday"
    ),
    ("windows filter: empty date", 400, "starts_before"): lambda c, w: get(c, w, "/api/v1/windows/?starts_before="),
    ("windows filter: HTML as region", 400, "region"): lambda c, w: get(c, w, "/api/v1/windows/?region=%3Cscript%3E"),
    ("windows filter: unknown status", 400, "status"): lambda c, w: get(c, w, "/api/v1/windows/?status=done"),
    ("windows: page 2**70", 400, "page"): lambda c, w: get(c, w, f"/api/v1/windows/?page={2**70}"),
    ("windows: page 1e309", 400, "page"): lambda c, w: get(c, w, "/api/v1/windows/?page=1e309"),
    ("windows: negative page size", 400, "page_size"): lambda c, w: get(c, w, "/api/v1/windows/?page_size=-1"),
    ("windows: page size over 500", 400, "page_size"): lambda c, w: get(c, w, "/api/v1/windows/?page_size=501"),
    ("incidents: page 0", 400, "page"): lambda c, w: get(c, w, "/api/v1/incidents/?page=0"),
    ("sla API: month 13", 400, "month"): lambda c, w: get(c, w, "/api/v1/sla/?month=2026-13"),
    ("sla API: negative year", 400, "month"): lambda c, w: get(c, w, "/api/v1/sla/?month=-2026-01"),
    ("sla API: year 2**70", 400, "month"): lambda c, w: get(c, w, f"/api/v1/sla/?month={2**70}-01"),
    ("status API: unknown region", 404, "Region"): lambda c, w: get(c, w, "/api/v1/status/atlantis/"),
    ("regions API: HTML as slug", 404, "Region"): lambda c, w: get(c, w, "/api/v1/regions/%3Cscript%3E/"),
    # --- pages, history and feeds ---
    ("history: month 13", 400, "month"): lambda c, w: get(c, w, "/history/?month=2026-13"),
    ("history: HTML as month", 400, "month"): lambda c, w: get(
        c, w, "/history/?month=%3Cscript%3Ealert(1)%3C/script%3E"
    ),
    ("history: 1e309 as month", 400, "month"): lambda c, w: get(c, w, "/history/?month=1e309"),
    ("history: year 2**70", 400, "month"): lambda c, w: get(c, w, f"/history/?month={2**70}-01"),
    ("history: a month before anything", 404, None): lambda c, w: get(c, w, "/history/?month=1970-01"),
    ("window page: 2**70 as id", 404, None): lambda c, w: get(c, w, f"/windows/{2**70}/"),
    ("window page: unknown id", 404, None): lambda c, w: get(c, w, "/windows/999999/"),
    ("feed: unknown region", 404, None): lambda c, w: get(c, w, "/feeds/atlantis.ics"),
    ("feed: HTML as region", 404, None): lambda c, w: get(c, w, "/feeds/%3Cscript%3E.ics"),
    ("feed: lone surrogate as region", 404, None): lambda c, w: get(c, w, "/feeds/%ED%A0%80.ics"),
    # --- the release managers' admin forms ---
    ("admin reschedule: garbage start", 400, "starts_at"): lambda c, w: admin(
        c, w, "reschedule", {"starts_at": "<script>", "ends_at": "2026-11-28 21:30"}
    ),
    ("admin reschedule: end before start", 400, "ends_at"): lambda c, w: admin(
        c, w, "reschedule", {"starts_at": "2026-11-28 21:00", "ends_at": "2026-11-28 20:00"}
    ),
    ("admin reschedule: year 10000", 400, ("starts_at", "ends_at")): lambda c, w: admin(
        c, w, "reschedule", {"starts_at": "10000-01-01 00:00", "ends_at": "10000-01-01 00:30"}
    ),
    ("admin reschedule: oversized reason", 400, "reason"): lambda c, w: admin(
        c, w, "reschedule", {"starts_at": "2026-11-28 21:05", "ends_at": "2026-11-28 21:35", "reason": LONG}
    ),
    ("admin extend: 2**70 minutes", 400, "minutes"): lambda c, w: admin(c, w, "extend", {"minutes": str(2**70)}),
    ("admin extend: 1e309 minutes", 400, "minutes"): lambda c, w: admin(c, w, "extend", {"minutes": "1e309"}),
    ("admin extend: negative minutes", 400, "minutes"): lambda c, w: admin(c, w, "extend", {"minutes": "-10"}),
    ("admin extend: HTML as minutes", 400, "minutes"): lambda c, w: admin(c, w, "extend", {"minutes": PAYLOAD}),
    ("admin window: CR/LF in title", 400, "title"): lambda c, w: c.post(
        f"/admin/maintenance/window/{w['window'].pk}/change/",
        {"title": "Nov\r\nX-Injected: 1", "audit_events-TOTAL_FORMS": "0", "audit_events-INITIAL_FORMS": "0"},
    ),
    ("admin window: oversized title", 400, "title"): lambda c, w: c.post(
        f"/admin/maintenance/window/{w['window'].pk}/change/",
        {"title": "t" * 201, "audit_events-TOTAL_FORMS": "0", "audit_events-INITIAL_FORMS": "0"},
    ),
    # HTTP asks for 409 Conflict, as the API answers; the admin shows its form again with 400.
    ("admin extend: a planned window", 400, "__all__"): lambda c, w: admin(c, w, "extend", {"minutes": "10"}),
}


# --- begin: addresses without a public domain ------------------------------------------------------------------
# Exact statuses: the form is shown again with its error (400), the API answers 400 naming `email`.
NOT_PUBLIC = ["a@localhost", "a@[127.0.0.1]", "a@[IPv6:::1]", "a@127.0.0.1", "a@intranet", "a@printer.local"]
ADDRESS_CASES = {
    **{
        f"subscribe form: {address}": (
            400,
            lambda c, w, a=address: form(c, w, "/subscribe/", {**GOOD_SUBSCRIBE, "email": a}),
        )
        for address in NOT_PUBLIC
    },
    **{
        f"subscribe API: {address}": (
            400,
            lambda c, w, a=address: api(c, w, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "email": a}),
        )
        for address in NOT_PUBLIC
    },
}


@pytest.mark.parametrize("case", list(ADDRESS_CASES))
def test_an_address_without_a_public_domain_gets_its_exact_status_and_changes_nothing(client, world, case):
    status, send = ADDRESS_CASES[case]
    before = snapshot()
    with time_machine.travel(NOW, tick=False):
        response = send(client, world)
    assert response.status_code == status, (response.status_code, response.content[:500])
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["errors"] == {"email": ["Use an address at a public internet domain."]}
    else:
        assert "Use an address at a public internet domain." in response.content.decode()
    assert snapshot() == before


# --- end: addresses without a public domain --------------------------------------------------------------------


def form_errors(response):
    """The errors of the form a page showed again, or None when the page shows no form with errors."""
    for name in ("form", "adminform"):
        shown = response.context.get(name) if response.context is not None else None
        shown = getattr(shown, "form", shown)  # the admin wraps its form
        if shown is not None and shown.errors:
            return shown.errors
    return None


def assert_names(response, names):
    """The error names each of ``names``: as the keys of the JSON `errors` (which `detail` lists too) or of the
    re-shown form's errors, or else in the one sentence the JSON `detail` or the error page shows."""
    if response["Content-Type"].startswith("application/json"):
        body = response.json()
        if "errors" in body:
            assert set(body["errors"]) == set(names), body
            assert all(name in body["detail"] for name in names), body
        else:
            assert all(name in body["detail"] for name in names), body
        return
    errors = form_errors(response)
    if errors is not None:
        assert set(errors) == set(names), errors.as_data()
    elif names:
        message = response.context["message"]
        assert all(name in message for name in names), message


@pytest.mark.parametrize(("case", "status", "names"), list(HTTP_CASES), ids=[case for case, _, _ in HTTP_CASES])
def test_bad_request_gets_its_exact_4xx_naming_the_field_and_changes_nothing(client, world, case, status, names):
    if case.startswith("admin"):
        client.force_login(world["manager"])  # logging in records last_login, so before the snapshot
    before = snapshot()
    response = HTTP_CASES[case, status, names](client, world)
    assert response.status_code == status, (response.status_code, response.content[:500])
    body = response.content.decode("utf-8", "replace")
    if response["Content-Type"].startswith("application/json"):
        assert response.json()["detail"], response.content
        # JSON may quote the payload back as data; browsers never sniff it into HTML.
        assert response["X-Content-Type-Options"] == "nosniff"
    else:
        assert response["Content-Type"].startswith("text/html"), response["Content-Type"]
        assert "<script>" not in body and "<img src=x" not in body, "a payload came back unescaped"
    assert_names(response, (names,) if isinstance(names, str) else names or ())
    assert "Traceback" not in body
    assert snapshot() == before


COMMAND_CASES = {
    "preview_windows: unknown zone": [
        "preview_windows",
        "--timezone",
        "Mars/Olympus",
        "--start",
        "22:00",
        "--minutes",
        "30",
        "--from",
        "2027-01",
    ],
    "preview_windows: HTML as zone": [
        "preview_windows",
        "--timezone",
        PAYLOAD,
        "--start",
        "22:00",
        "--minutes",
        "30",
        "--from",
        "2027-01",
    ],
    "preview_windows: CR/LF in zone": [
        "preview_windows",
        "--timezone",
        "UTC\r\nX",
        "--start",
        "22:00",
        "--minutes",
        "30",
        "--from",
        "2027-01",
    ],
    "preview_windows: month 13": ["preview_windows", "--region", "us", "--from", "2027-13"],
    "preview_windows: month 0": ["preview_windows", "--region", "us", "--from", "2027-00"],
    "preview_windows: year 2**70": ["preview_windows", "--region", "us", "--from", f"{2**70}-01"],
    "preview_windows: unknown region": ["preview_windows", "--region", "atlantis", "--from", "2027-01"],
    "preview_windows: 1e309 minutes": [
        "preview_windows",
        "--timezone",
        "UTC",
        "--start",
        "22:00",
        "--minutes",
        "1e309",
        "--from",
        "2027-01",
    ],
    "preview_windows: negative minutes": [
        "preview_windows",
        "--timezone",
        "UTC",
        "--start",
        "22:00",
        "--minutes",
        "-5",
        "--from",
        "2027-01",
    ],
    "preview_windows: start 25:00": [
        "preview_windows",
        "--timezone",
        "UTC",
        "--start",
        "25:00",
        "--minutes",
        "30",
        "--from",
        "2027-01",
    ],
    "preview_windows: 2**70 months": ["preview_windows", "--region", "us", "--from", "2027-01", "--months", str(2**70)],
    "plan_windows: negative months": ["plan_windows", "--months", "-1"],
    "plan_windows: 1e309 months": ["plan_windows", "--months", "1e309"],
    "plan_windows: 2**70 months": ["plan_windows", "--months", str(2**70)],
    "sla_report: month 13": ["sla_report", "--month", "2026-13"],
    "sla_report: HTML as month": ["sla_report", "--month", PAYLOAD],
    "sla_report: year 2**70": ["sla_report", "--month", f"{2**70}-01"],
}


@pytest.mark.parametrize("case", list(COMMAND_CASES))
def test_bad_command_argument_exits_2_with_one_sentence_and_changes_nothing(world, case):
    before = snapshot()
    with pytest.raises(CommandError) as raised:
        call_command(*COMMAND_CASES[case])
    assert raised.value.returncode == 2
    message = str(raised.value)
    assert message.strip() and "\n" not in message.strip() and "Traceback" not in message
    assert snapshot() == before


# --- payloads shown back: escaped in HTML, inert in text, calendars and feeds ---------------------------------

ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
SUMMARY = PAYLOAD + "\r\nX-Injected: 1"  # a release summary may hold line breaks; a title may not


@pytest.fixture
def payload_everywhere(client, world):
    """A window whose title, release summary and announce reason, and an incident whose title and update, carry
    the payload; the text goes in through the admin and the API as a release manager would send it."""
    window = world["window"]
    client.force_login(world["manager"])
    edited = client.post(
        f"/admin/maintenance/window/{window.pk}/change/",
        {
            "title": PAYLOAD,
            "release_summary": SUMMARY,
            "auto_start": "on",
            "audit_events-TOTAL_FORMS": "0",
            "audit_events-INITIAL_FORMS": "0",
        },
    )
    assert edited.status_code == 302
    client.logout()
    assert api(client, world, "post", W + "announce/", {"reason": PAYLOAD}).status_code == 200
    opened = api(
        client,
        world,
        "post",
        "/api/v1/incidents/",
        {"title": PAYLOAD, "regions": ["eu-frankfurt"], "body": PAYLOAD},
    )
    assert opened.status_code == 201, opened.content
    assert (
        api(
            client,
            world,
            "patch",
            f"/api/v1/incidents/{opened.json()['id']}/",
            {"status": "identified", "body": PAYLOAD},
        ).status_code
        == 200
    )
    cache.clear()
    window.refresh_from_db()
    return window


@pytest.mark.parametrize("path", ["/", "/windows/{window}/", "/history/", "/history/?month=2026-11"])
def test_payloads_are_escaped_on_every_page(client, payload_everywhere, path):
    page = client.get(path.format(window=payload_everywhere.pk)).content.decode()
    assert ESCAPED in page
    assert "<script>alert" not in page and "<img src=x" not in page


@pytest.mark.parametrize("path", ["/feeds/maintenance.atom", "/feeds/maintenance.rss"])
def test_payloads_in_feeds_are_text_or_escaped_html(client, payload_everywhere, path):
    xml = client.get(path).content
    root = ET.fromstring(xml)
    shown = []
    for element in root.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        text = element.text or ""
        if tag in ("summary", "content", "description") and (element.get("type") == "html" or tag == "description"):
            # An HTML field: once the XML is read, the HTML still shows the payload only escaped.
            assert "<script" not in text and "<img" not in text, text
            shown.append(text)
        elif tag == "title":
            shown.append(text)
    assert any(ESCAPED in text for text in shown), shown


@pytest.mark.parametrize("path", ["/feeds/maintenance.ics", "/feeds/eu-frankfurt.ics"])
def test_payloads_in_calendars_are_one_text_value(client, payload_everywhere, path):
    from icalendar import Calendar

    body = client.get(path).content.decode()
    unfolded = body.replace("\r\n ", "")
    assert not any(line.startswith("X-Injected") for line in unfolded.split("\r\n"))
    events = [part for part in Calendar.from_ical(body).walk("VEVENT") if PAYLOAD in str(part.get("SUMMARY", ""))]
    assert events, "the window's title is in the calendar"
    assert str(events[0]["SUMMARY"]) == f"EU (Frankfurt): {PAYLOAD}"


def test_payloads_in_email_are_escaped_in_html_and_plain_in_text(payload_everywhere):
    message = preview_message(payload_everywhere, Delivery.Kind.ANNOUNCEMENT, "en").message()
    headers = str(message)
    assert "\nX-Injected" not in headers.split("\n\n", 1)[0], "the title broke out of the Subject header"
    html = text = ics = ""
    for part in message.walk():
        payload = part.get_payload(decode=True)
        if payload is None:
            continue
        content = payload.decode(part.get_content_charset() or "utf-8")
        if part.get_content_type() == "text/html":
            html = content
        elif part.get_content_type() == "text/plain":
            text = content
        elif part.get_content_type() == "text/calendar":
            ics = content
    assert ESCAPED in html and "<script>alert" not in html and "<img src=x" not in html
    assert PAYLOAD in text  # plain text is inert: shown as the characters it is
    assert ics and not any(line.startswith("X-Injected") for line in ics.replace("\r\n ", "").split("\r\n"))


# --- the address policy --------------------------------------------------------------------------------------

HOMOGRAPH = "ada@\u0435xample.com"  # Cyrillic e: looks like example.com, is another domain


def test_an_idn_or_homograph_domain_is_stored_as_punycode_by_form_and_api_alike(client, world):
    cache.clear()
    page = client.post("/subscribe/", {**GOOD_SUBSCRIBE, "email": HOMOGRAPH})
    assert page.status_code == 200
    stored = Subscriber.objects.get(email__startswith="ada@xn--").email
    assert stored == "ada@xn--xample-2of.com"
    again = api(client, world, "post", "/api/v1/subscriptions/", {**GOOD_SUBSCRIBE, "email": HOMOGRAPH})
    assert again.status_code == 202
    assert Subscriber.objects.filter(email="ada@xn--xample-2of.com").count() == 1
    assert not Subscriber.objects.filter(email__contains="\u0435").exists()


# --- dates, offsets and filters: exact status and the field named (issues 10.3 and 11.5-11.8) ------------------
# Each row: (how to send it, the exact status, the field or query parameter the answer must name in `errors`).
# The window is eu-frankfurt's November 2026 window (2026-11-28 21:00-22:00 UTC, planned); NOW is 2026-11-10 12:00.

DATE_CASES = {
    "reschedule: 9999-12-31T22:00Z": (
        lambda c, w: api(
            c, w, "post", W + "reschedule/", {"starts_at": "9999-12-31T22:00Z", "ends_at": "9999-12-31T23:00Z"}
        ),
        400,
        "starts_at",
    ),
    "reschedule: 24 months and a day ahead": (
        lambda c, w: api(
            c, w, "post", W + "reschedule/", {"starts_at": "2028-11-11T12:00Z", "ends_at": "2028-11-11T12:30Z"}
        ),
        400,
        "starts_at",
    ),
    "reschedule: into the past": (
        lambda c, w: api(
            c, w, "post", W + "reschedule/", {"starts_at": "2026-11-09T21:00Z", "ends_at": "2026-11-09T21:30Z"}
        ),
        400,
        "starts_at",
    ),
    "reschedule: start without an offset": (
        lambda c, w: api(
            c, w, "post", W + "reschedule/", {"starts_at": "2026-12-05T21:00:00", "ends_at": "2026-12-05T21:30Z"}
        ),
        400,
        "starts_at",
    ),
    "reschedule: end without an offset": (
        lambda c, w: api(
            c, w, "post", W + "reschedule/", {"starts_at": "2026-12-05T21:00Z", "ends_at": "2026-12-05T21:30:00"}
        ),
        400,
        "ends_at",
    ),
    "extend: until without an offset": (
        lambda c, w: api(c, w, "post", W + "extend/", {"until": "2026-11-28T22:30:00"}),
        400,
        "until",
    ),
    "extend: until in year 9999": (
        lambda c, w: api(c, w, "post", W + "extend/", {"until": "9999-12-31T23:59Z"}),
        400,
        "until",
    ),
    "extend: minutes and until together": (
        lambda c, w: api(c, w, "post", W + "extend/", {"minutes": 10, "until": "2026-11-28T22:30Z"}),
        400,
        "minutes",
    ),
    "extend: past the ceiling": (
        lambda c, w: api(c, w, "post", W + "extend/", {"minutes": 200}),
        400,
        "minutes",
    ),
    "windows: unknown query parameter": (lambda c, w: get(c, w, "/api/v1/windows/?mnth=2027-01"), 400, "mnth"),
    "windows: month 13": (lambda c, w: get(c, w, "/api/v1/windows/?month=2027-13"), 400, "month"),
    "windows: month 0000-01": (lambda c, w: get(c, w, "/api/v1/windows/?month=0000-01"), 400, "month"),
    "windows: starts_after without an offset": (
        lambda c, w: get(c, w, "/api/v1/windows/?starts_after=2027-01-30T14:00:00"),
        400,
        "starts_after",
    ),
    "windows: starts_before past UTC's last day": (
        lambda c, w: get(c, w, "/api/v1/windows/?starts_before=9999-12-31T23:00:00-02:00"),
        400,
        "starts_before",
    ),
    "sla API: month 0001-01": (lambda c, w: get(c, w, "/api/v1/sla/?month=0001-01"), 400, "month"),
    "sla API: month 9998-12": (lambda c, w: get(c, w, "/api/v1/sla/?month=9998-12"), 400, "month"),
    "window PATCH: status": (
        lambda c, w: api(c, w, "patch", W, {"status": "completed"}),
        400,
        "title",
    ),
    "window PATCH: oversized title": (lambda c, w: api(c, w, "patch", W, {"title": LONG}), 400, "title"),
}


@pytest.mark.parametrize("case", list(DATE_CASES))
def test_bad_date_offset_or_filter_gets_its_status_naming_the_field_and_changes_nothing(client, world, case):
    send, status, field = DATE_CASES[case]
    if case.startswith("extend"):
        with time_machine.travel(NOW, tick=False):
            assert api(client, world, "post", W + "announce/", {}).status_code == 200
    before = snapshot()
    with time_machine.travel(NOW, tick=False):
        response = send(client, world)
    assert response.status_code == status, response.content[:500]
    assert list(response.json()["errors"]) == [field]
    assert field in response.json()["detail"]
    assert snapshot() == before
