"""Incidents from monitoring: an alert that fires opens or updates an incident, and its resolution resolves it.

Rules (PRODUCT.md, "Automation and integrations"):

- One incident per (source, group, region set): Alertmanager's ``groupKey`` is the group; a generic monitor's
  group is its region. ``AlertGroup`` is that identity, and its row is the lock that serialises notifications.
- Idempotent: each notification carries a receipt key (Alertmanager: fingerprint, ``startsAt`` and status; a
  generic event: its id). A repeat finds its ``AlertReceipt`` and changes nothing.
- The incident resolves when no alert of its group fires any more, at the latest ``endsAt``.
- Flapping guard: an alert that fires again within ``AUTOMATION_FLAP_MINUTES`` of its incident's resolution
  reopens that incident (it counts as one outage) instead of opening a new one.
- A person's word stands: once anyone but automation has changed an incident (the admin or the API, which both
  write the audit trail), automation only adds updates; it changes no status, impact or time.
- A resolution for an alert never seen firing (Offpeak was unreachable when it fired) still records the outage:
  an incident opened at ``startsAt`` and resolved at ``endsAt``.

Every change goes through ``maintenance.incidents``, with an actor labelled ``automation:<source>``.
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from maintenance import incidents
from maintenance.audit import Actor
from maintenance.models import AlertGroup, AlertReceipt, AlertState, Incident, Region

logger = logging.getLogger(__name__)

ACTOR_PREFIX = "automation:"
Impact = Incident.Impact
IMPACT_RANK = {Impact.MINOR: 0, Impact.MAJOR: 1, Impact.CRITICAL: 2}

# A severity label's value (lower case) and the impact it gives; anything else, or no label, is major.
SEVERITY_IMPACT = {
    "critical": Impact.CRITICAL,
    "page": Impact.CRITICAL,
    "emergency": Impact.CRITICAL,
    "disaster": Impact.CRITICAL,
    "major": Impact.MAJOR,
    "error": Impact.MAJOR,
    "high": Impact.MAJOR,
    "warning": Impact.MINOR,
    "minor": Impact.MINOR,
    "low": Impact.MINOR,
    "info": Impact.MINOR,
}
DEFAULT_IMPACT = Impact.MAJOR


def impact_for(severity):
    """The incident impact for a severity label value (``None`` when the alert has none)."""
    return SEVERITY_IMPACT.get((severity or "").strip().lower(), DEFAULT_IMPACT)


@dataclass(frozen=True)
class Signal:
    """One alert from one notification, in the monitor-neutral form the service works with."""

    source: str  # "alertmanager", or a generic monitor's name
    group: str  # the incident's identity within the source, with the region set
    fingerprint: str  # one alert's identity within the group
    receipt: str  # what makes this notification of this alert unique; a repeat has the same one
    region_slugs: tuple
    firing: bool
    impact: str
    title: str
    body: str
    starts_at: datetime
    ends_at: datetime | None = None


@dataclass
class Outcome:
    applied: list = field(default_factory=list)
    ignored: list = field(default_factory=list)

    def apply(self, signal, action, incident):
        self.applied.append({"alert": signal.fingerprint, "action": action, "incident": incident.pk})

    def ignore(self, signal, reason):
        logger.info("automation ignored %s alert %s: %s", signal.source, signal.fingerprint, reason)
        self.ignored.append({"alert": signal.fingerprint, "reason": reason})


def apply(signals, user=None, now=None):
    """Apply ``signals`` in order, in one transaction; returns an ``Outcome`` listing what was done and ignored."""
    now = now or timezone.now()
    flap = timedelta(minutes=settings.AUTOMATION_FLAP_MINUTES)
    slugs = {slug for signal in signals for slug in signal.region_slugs}
    regions = {region.slug: region for region in Region.objects.filter(slug__in=slugs, active=True)}
    outcome = Outcome()
    with transaction.atomic():
        for signal in signals:
            known = sorted({slug for slug in signal.region_slugs if slug in regions})
            if not known:
                unknown = ", ".join(sorted(set(signal.region_slugs))) or "none"
                outcome.ignore(signal, f"It names no active region of this status page (regions: {unknown}).")
                continue
            if not _first_receipt(signal, now):
                outcome.ignore(signal, "A repeat of a notification already applied; nothing changed.")
                continue
            group = _locked_group(signal, known)
            actor = Actor(user=user, label=f"{ACTOR_PREFIX}{signal.source}"[:150])
            try:
                action, incident = _apply_one(group, signal, [regions[slug] for slug in known], actor, now, flap)
            except incidents.IncidentError as exc:
                outcome.ignore(signal, str(exc))
                continue
            if action is None:
                outcome.ignore(signal, incident)
            else:
                outcome.apply(signal, action, incident)
    return outcome


def edited_by_person(incident):
    """True once anyone but automation has changed the incident (the audit trail says who did what)."""
    return incident.audit_events.exclude(actor_label__startswith=ACTOR_PREFIX).exists()


def _first_receipt(signal, now):
    try:
        with transaction.atomic():
            AlertReceipt.objects.create(source=signal.source, key=signal.receipt[:300], received_at=now)
    except IntegrityError:
        return False
    return True


def _locked_group(signal, slugs):
    key = hashlib.sha256("\0".join([signal.source, signal.group, ",".join(slugs)]).encode()).hexdigest()
    try:
        with transaction.atomic():
            AlertGroup.objects.get_or_create(
                key=key, defaults={"source": signal.source, "group": signal.group[:500], "regions": ",".join(slugs)}
            )
    except IntegrityError:
        pass  # another request created it a moment ago
    return AlertGroup.objects.select_for_update(of=("self",)).select_related("incident").get(key=key)


def _apply_one(group, signal, regions, actor, now, flap):
    """Returns (action, incident), or (None, reason) when the signal changes nothing."""
    incident = group.incident
    person = incident is not None and edited_by_person(incident)
    state = AlertState.objects.filter(group=group, fingerprint=signal.fingerprint).first()
    if signal.firing:
        _fire(group, state, signal)
        if incident is None or not incident.is_open and (person or incident.resolved_at < now - flap):
            return "opened", _open(group, signal, regions, actor, now)
        if not incident.is_open:
            body = _("%(title)s fired again within %(minutes)d minutes of the resolution; the incident is open again.")
            body %= {"title": signal.title, "minutes": flap // timedelta(minutes=1)}
            return "reopened", incidents.reopen(incident, body, actor=actor, now=now)
        raise_to = None
        if not person and IMPACT_RANK[signal.impact] > IMPACT_RANK[incident.impact]:
            raise_to = signal.impact
        incidents.post_update(incident, incident.status, signal.body, actor=actor, impact=raise_to, now=now)
        return "updated", incident

    if incident is None or state is None and not incident.is_open:
        if signal.ends_at is None or signal.ends_at <= signal.starts_at:
            return None, "Nothing is open for this alert; nothing changed."
        # Never seen firing: record the outage it reports, from startsAt to endsAt.
        incident = _open(group, signal, regions, actor, now)
        _resolve_state(group, signal)
        resolved_at = _clamp(signal.ends_at or now, incident.started_at, now)
        incidents.resolve(incident, signal.body, actor=actor, resolved_at=resolved_at, now=now)
        return "recorded", incident
    if not incident.is_open:
        return None, "Its incident is already resolved; nothing changed."
    _resolve_state(group, signal)
    firing = AlertState.objects.filter(group=group, firing=True).count()
    if firing:
        body = _("%(title)s has resolved; %(count)d more alerts still fire.") % {"title": signal.title, "count": firing}
        incidents.post_update(incident, incident.status, body, actor=actor, now=now)
        return "updated", incident
    if person:
        body = _(
            "The monitor reports that %(title)s has resolved. A person has edited this incident, so it stays as "
            "they left it until they resolve it."
        ) % {"title": signal.title}
        incidents.post_update(incident, incident.status, body, actor=actor, now=now)
        return "updated", incident
    ends = [s.ends_at for s in AlertState.objects.filter(group=group).exclude(ends_at=None)]
    resolved_at = _clamp(max(ends, default=now), incident.started_at, now)
    incidents.resolve(incident, signal.body, actor=actor, resolved_at=resolved_at, now=now)
    return "resolved", incident


def _open(group, signal, regions, actor, now):
    incident = incidents.open_incident(
        signal.title,
        regions,
        signal.impact,
        signal.body,
        actor=actor,
        started_at=min(signal.starts_at, now),
        now=now,
        source=signal.source,
    )
    group.incident = incident
    group.save(update_fields=["incident"])
    return incident


def _fire(group, state, signal):
    if state is None:
        AlertState.objects.create(group=group, fingerprint=signal.fingerprint, starts_at=signal.starts_at)
    else:
        state.firing, state.starts_at, state.ends_at = True, signal.starts_at, None
        state.save(update_fields=["firing", "starts_at", "ends_at", "updated_at"])


def _resolve_state(group, signal):
    AlertState.objects.update_or_create(
        group=group,
        fingerprint=signal.fingerprint,
        defaults={"firing": False, "ends_at": signal.ends_at, "starts_at": signal.starts_at},
    )


def _clamp(value, lo, hi):
    return max(lo, min(value, hi))
