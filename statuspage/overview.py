"""The status page's words and pictures, worked out once per render in Python.

``board()`` says what is true; this module says it: each time in the region's zone and in UTC, the 90-day bars,
the lists of bad days and the follow-the-sun strip. A template loop over hundreds of rows with a formatting filter
per cell is what used to make a render slow; here each calendar day is put in words once (``Words``).
"""

from datetime import UTC

from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from statuspage import bars, strip
from statuspage.board import BAR_DAYS, status_label
from statuspage.markup import escape
from statuspage.templatetags.offpeak import iso
from statuspage.wording import Words


def clock(value, zone):
    local = value.astimezone(zone)
    return f"{local:%H:%M} {local.tzname()}"


class Labels:
    """Translated labels, each looked up once per render (a lazy label costs a catalogue lookup every time)."""

    def __init__(self):
        self._said = {}
        self._window_url = reverse("window-detail", args=[PK_MARK])

    def say(self, key, lazy):
        text = self._said.get(key)
        if text is None:
            text = self._said[key] = str(lazy())
        return text

    def window_url(self, pk):
        return self._window_url.replace(str(PK_MARK), str(pk))


PK_MARK = 987654321


def describe_window(window, words, now, labels):
    """Give ``window`` its label, its page's address and its times as words: in the region's zone and in UTC."""
    zone = window.region.zone
    window.label = labels.say((window.status, window.is_overrunning(now)), lambda: status_label(window, now))
    window.url = labels.window_url(window.pk)
    window.shown_title = window.title or labels.say("untitled", window.display_title)
    window.iso_start, window.iso_end = iso(window.starts_at), iso(window.ends_at)
    window.region_start = words.when(window.starts_at, zone)
    window.utc_start = words.utc(window.starts_at)
    same_date = window.starts_at.astimezone(zone).date() == window.starts_at.astimezone(UTC).date()
    window.utc_short = clock(window.starts_at, UTC) if same_date else window.utc_start  # the date said once
    same_day = window.starts_at.astimezone(zone).date() == window.ends_at.astimezone(zone).date()
    window.region_end = clock(window.ends_at, zone) if same_day else words.when(window.ends_at, zone)
    same_utc_day = window.starts_at.astimezone(UTC).date() == window.ends_at.astimezone(UTC).date()
    window.utc_end = clock(window.ends_at, UTC) if same_utc_day else words.utc(window.ends_at)


def present(context, now):
    """Add to ``board()``'s context what the template prints as it is."""
    words, labels = Words(), Labels()
    described = set()
    release = context["release"]["windows"] if context["release"] else []
    shown = context["upcoming"] + context["recent_windows"] + [e.next_window for e in context["regions"]] + release
    for window in shown:
        if window is not None and id(window) not in described:
            describe_window(window, words, now, labels)
            described.add(id(window))
    for entry in context["regions"]:
        entry.label = labels.say(entry.state, lambda entry=entry: entry.state_label)
        entry.bar = bars.bar_svg(entry.region.name, entry.states)
        entry.day_lists = bars.day_lists(entry.bad_days, words)
    context["overview_rows"] = overview_rows(context["regions"])
    context["region_articles"] = region_articles(context["regions"])
    context["upcoming_rows"] = window_rows(context["upcoming"])
    context["recent_rows"] = window_rows(context["recent_windows"])
    context["incident_items"] = incident_items(context["recent_incidents"], words, labels)
    context["strip"] = strip_picture(context["release"], words, now)
    return context


# The statuses whose window has a countdown: one that has not ended yet.
COUNTING = ("planned", "scheduled", "in_progress")


def overview_rows(entries):
    """The overview table's rows: region, state, next window (region time, UTC, the viewer's time) and the bar.

    The words from the catalogue are written as they are, as a template writes its own translated text; every value
    from the data is escaped.
    """
    now_word, none_planned = _("Now"), _("None planned")
    rows = []
    for entry in entries:
        slug, w = entry.region.slug, entry.next_window
        if w is None:
            when = none_planned
        else:
            running = f"{now_word}: " if entry.in_window else ""
            when = (
                f'{running}<a href="{w.url}"><span class="zone-times">'
                f"{escape(w.region_start)}<br><small>{escape(w.utc_short)}</small></span>"
                f'<span class="viewer-short" data-viewer-short="{w.iso_start}"></span></a>'
            )
        rows.append(
            f'\n<tr id="overview-{slug}"><th scope="row"><a href="#region-{slug}">{escape(entry.region.name)}</a></th>'
            f'<td><span class="state s-{entry.state}" data-state="{entry.state}">{escape(entry.label)}</span></td>'
            f'<td class="when">{when}</td><td class="bar">{entry.bar}</td></tr>'
        )
    return mark_safe("".join(rows))  # values are escaped, slugs, numbers or state names; the bar is markup already


def region_articles(entries):
    """Each region's article: its state, its next (or current) window in region time and UTC with room for the
    viewer's time and a countdown, and the days of the last 90 that were not operational, in words."""
    current, following, utc, yours = _("Current window"), _("Next window"), _("UTC"), _("Your time")
    no_window = _("No window is planned.")
    articles = []
    for entry in entries:
        region, w = entry.region, entry.next_window
        slug = region.slug
        parts = [
            f'<article class="region" id="region-{slug}" aria-labelledby="region-{slug}-name">\n'
            f'<h3 id="region-{slug}-name">{escape(region.name)} <span class="state s-{entry.state}" '
            f'data-state="{entry.state}">{escape(entry.label)}</span></h3>\n'
        ]
        if w is None:
            parts.append(f"<p>{no_window}</p>")
        else:
            countdown = (
                f'<span class="countdown" data-countdown data-start="{w.iso_start}" data-end="{w.iso_end}"></span>'
                if w.status in COUNTING
                else ""
            )
            zone = _("Region time (%(zone)s)") % {"zone": escape(region.timezone)}
            parts.append(
                f'<dl class="next" data-next-window="{w.pk}">\n'
                f"<dt>{current if entry.in_window else following}</dt>\n"
                f'<dd><a href="{w.url}">{escape(w.shown_title)}</a> '
                f'<span class="tag t-{w.status}">{escape(w.label)}</span></dd>\n<dt>{zone}</dt>\n'
                f'<dd><time datetime="{w.iso_start}">{escape(w.region_start)}</time> – {escape(w.region_end)}</dd>\n'
                f"<dt>{utc}</dt>\n<dd>{escape(w.utc_start)} – {escape(w.utc_end)}</dd>\n"
                f'<div class="viewer" data-viewer hidden><dt>{yours}</dt>\n'
                f'<dd><span class="viewer-time" data-viewer-time="{w.iso_start}"></span> {countdown}\n'
                "</dd></div>\n</dl>"
            )
        if entry.bad_days:
            count = len(entry.bad_days)
            summary = ngettext(
                "%(days)s day with maintenance or trouble", "%(days)s days with maintenance or trouble", count
            ) % {"days": count}
            lists = "".join(f"<dt>{escape(label)}</dt><dd>{escape(dates)}</dd>" for label, dates in entry.day_lists)
            parts.append(f'\n<details><summary>{summary}</summary>\n<dl class="days">{lists}</dl></details>\n')
        else:
            operational = ngettext(
                "The last %(days)s day was operational.", "All of the last %(days)s days were operational.", BAR_DAYS
            ) % {"days": BAR_DAYS}
            parts.append(f"\n<p>{operational}</p>")
        parts.append("\n</article>")
        articles.append("".join(parts))
    return mark_safe("".join(articles))  # as overview_rows: values escaped, words from the catalogue as they are


def window_rows(windows):
    """The rows of a table of windows: region (a link to the window), region time, UTC, status."""
    return mark_safe(  # every value is escaped or a slug, a number or a status name
        "".join(
            f'<tr><th scope="row"><a href="{w.url}">{escape(w.region.name)}</a></th><td>{escape(w.region_start)}</td>'
            f'<td>{escape(w.utc_start)}</td><td><span class="tag t-{w.status}">{escape(w.label)}</span></td></tr>\n'
            for w in windows
        )
    )


def incident_items(incidents, words, labels):
    """The list items for incidents: title, impact, status unless resolved, regions and when, in UTC."""
    items = []
    for incident in incidents:
        impact = labels.say(("impact", incident.impact), incident.get_impact_display)
        tags = f'<span class="tag i-{incident.impact}">{escape(impact)}</span>'
        if incident.status != incident.Status.RESOLVED:
            status = labels.say(("status", incident.status), incident.get_status_display)
            tags += f' <span class="tag">{escape(status)}</span>'
        if incident.source:
            automated = _("opened automatically by %(source)s") % {"source": incident.source}
            tags += f' <span class="tag automated">{escape(automated)}</span>'
        when = words.utc_span(incident.started_at, incident.resolved_at)
        items.append(
            f'<li id="incident-{incident.pk}"><strong>{escape(incident.title)}</strong> {tags}<br>'
            f"{escape(', '.join(incident.region_names))} · {escape(when)}</li>\n"
        )
    return mark_safe("".join(items))  # every value is escaped, a number or an impact name


def offset_words(days):
    if days == 1:
        return _("next day")
    if days == -1:
        return _("day before")
    return _("%(days)+d days") % {"days": days}


def strip_picture(release, words, now):
    """The release night as an SVG on a 24-hour UTC axis and as table rows, or None when nothing lies ahead."""
    if release is None:
        return None
    day = release["day"]
    windows = release["windows"]
    rows = len(windows)
    bottom = strip.row_y(rows)
    svg = [
        f'<svg class="strip" viewBox="0 0 {strip.WIDTH} {strip.height(rows)}" aria-hidden="true" focusable="false" '
        f'data-day="{day.isoformat()}" data-x0="{strip.LABEL_WIDTH}" data-axis="{strip.AXIS_WIDTH}">'
    ]
    ticks = strip.ticks()
    svg.append(f'<path class="tick" d="{"".join(f"M{x:g} {strip.TOP - 4}V{bottom}" for x, _label in ticks)}"/>')
    svg.extend(f'<text class="hour" x="{x:g}" y="{strip.TOP - 8}">{label}</text>' for x, label in ticks)
    table = []
    for index, window in enumerate(windows):
        top = strip.row_y(index)
        middle = top + strip.ROW / 2
        svg.append(f'<text class="name" x="0" y="{middle + 4:g}">{escape(window.region.name)}</text>')
        for bar in strip.bars(window.starts_at, window.ends_at, day):
            svg.append(
                f'<rect class="win t-{window.status}" data-region="{window.region.slug}" '
                f'data-day-offset="{bar.day_offset}" x="{bar.x:g}" y="{middle - strip.BAR / 2:g}" '
                f'width="{bar.width:g}" height="{strip.BAR}" rx="2"/>'
            )
            if bar.day_offset:
                svg.append(
                    f'<text class="offset" x="{bar.x + bar.width + 3:g}" y="{middle + 4:g}">'
                    f"{escape(offset_words(bar.day_offset))}</text>"
                )
        table.append(window)
    now_x = round(strip.x_of(strip.hours_into_day(now)), 1)
    now_label = _("Now, %(time)s UTC") % {"time": f"{now.astimezone(UTC):%H:%M}"}
    anchor = " end" if now_x > strip.x_of(18) else ""  # a late label ends at the line, inside the picture
    svg.append(
        f'<g class="now{anchor}"><line x1="{now_x:g}" x2="{now_x:g}" y1="{strip.TOP - 4}" y2="{bottom}"/>'
        f'<text x="{now_x:g}" y="{bottom + 14}">{escape(now_label)}</text></g>'
    )
    midnight = escape(_("Your midnight"))  # outside the f-string, where makemessages finds it
    svg.append(
        f'<g class="midnight" data-viewer-midnight><line y1="{strip.TOP - 4}" y2="{bottom}"/>'
        f'<text y="{bottom + 14}">{midnight}</text></g>'
    )
    svg.append("</svg>")
    return {
        "day": day,
        "day_words": words.day(day),
        "svg": mark_safe("".join(svg)),  # names are escaped; everything else is a number or a slug
        "windows": table,
        "now_label": now_label,
    }
