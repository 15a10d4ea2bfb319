"""``/api/v2/*.json``: Statuspage's public API v2, so tools written for Statuspage pages read Offpeak unchanged.

Field names and value sets follow Statuspage's public API documentation. Offpeak's
concepts map onto it like this:

- each active region is a component (``id`` ``region-<pk>``);
- incidents are incidents (``incident-<pk>``), with their updates;
- announced windows (``announced_at`` set; scheduled, in progress or completed) are scheduled maintenances
  (``window-<pk>``), and so are windows that ran without being announced, so a region under maintenance always has
  the maintenance that explains it; planned windows are not announced, so they are not there yet, and neither are
  cancelled ones;
- each update carries Statuspage's ``affected_components`` (each component with its status before and after),
  ``deliver_notifications`` (whether subscribers were, or are to be, sent a notice: for an incident update, the
  flag the release manager posted it with) and ``custom_tweet``/``tweet_id`` (always null);
- a window in progress past its end (overrunning) stays ``in_progress`` as a maintenance, while its component
  becomes ``partial_outage`` and the page indicator ``major``: the overrun is downtime, as the SLA counts it.
  Offpeak has no verification step, so ``verifying`` never appears.

Every id is a string and every time is ISO 8601 in UTC with milliseconds, as Statuspage writes them. Names and
bodies are in the site's default language whatever the request asks for.
"""
