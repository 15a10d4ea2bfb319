"""The audit trail: who changed what, when and why. The lifecycle and the incidents service write it."""

from dataclasses import dataclass

from maintenance.models import AuditEvent


@dataclass(frozen=True)
class Actor:
    """Who asks for a change: a user, or a named system actor such as the beat."""

    user: object = None
    label: str = ""

    @classmethod
    def of(cls, who):
        if isinstance(who, Actor):
            return who
        if who is None:
            return cls(label="system")
        if isinstance(who, str):
            return cls(label=who)
        if not getattr(who, "is_authenticated", False):
            return cls(label="anonymous")
        return cls(user=who, label=who.get_username())


def record(actor, action, changes, when, reason="", **subject):
    """Write one audit event about ``subject`` (``window=`` or ``incident=``); ``changes`` is {field: [old, new]}."""
    actor = Actor.of(actor)
    return AuditEvent.objects.create(
        actor=actor.user,
        actor_label=actor.label,
        action=action,
        changes=changes,
        reason=(reason or "")[:500],
        created_at=when,
        **subject,
    )
