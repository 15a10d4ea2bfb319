"""The release managers' admin, one module per concern.

- ``regions_freezes``: regions, and frozen months (through ``planning.freeze``);
- ``windows``: ``WindowAdmin`` with the lifecycle actions and the reschedule and extend forms. The site
  (``statuspage/admin.py``) registers it, with the notifications' email preview and fan-out progress added;
- ``incidents``: incidents (through ``maintenance.incidents``) and the read-only audit log;
- ``forms``: the forms they show.
"""

from maintenance.admin.incidents import AuditEventAdmin, IncidentAdmin
from maintenance.admin.regions_freezes import FreezeAdmin, RegionAdmin
from maintenance.admin.windows import WindowAdmin

__all__ = ["AuditEventAdmin", "FreezeAdmin", "IncidentAdmin", "RegionAdmin", "WindowAdmin"]
