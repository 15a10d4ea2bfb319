"""The maintenance models, one module per concern; import them from here."""

from maintenance.models.audit import AuditEvent
from maintenance.models.automation import AlertGroup, AlertReceipt, AlertState
from maintenance.models.exclusions import SlaExclusion
from maintenance.models.idempotency import IdempotencyKey
from maintenance.models.incidents import Incident, IncidentUpdate
from maintenance.models.regions import Freeze, Region, validate_timezone
from maintenance.models.windows import Window, WindowQuerySet

__all__ = [
    "AlertGroup",
    "AlertReceipt",
    "AlertState",
    "AuditEvent",
    "Freeze",
    "IdempotencyKey",
    "Incident",
    "IncidentUpdate",
    "Region",
    "SlaExclusion",
    "Window",
    "WindowQuerySet",
    "validate_timezone",
]
