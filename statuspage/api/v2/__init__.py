"""``/api/v2/*.json``: Statuspage's public API v2, so tools written for Statuspage pages read Offpeak unchanged.

Field names and value sets follow Statuspage's public API documentation. Offpeak's
concepts map onto it like this:

- each active region is a component (``id`` ``region-<pk>``);
- incidents are incidents (``incident-<pk>``), with their updates;
- announced windows (``announced_at`` set; scheduled, in progress or completed) are scheduled maintenances
  (``window-<pk>``); planned windows are not announced, so they are not there yet, and neither are cancelled ones;
- a window in progress past its end (overrunning) stays ``in_progress`` as a maintenance, while its component
  becomes ``partial_outage`` and the page indicator ``major``: the overrun is downtime, as the SLA counts it.
  Offpeak has no verification step, so ``verifying`` never appears.

Every id is a string and every time is ISO 8601 in UTC with milliseconds, as Statuspage writes them.
"""
