"""The 90-day bars, drawn once per region: one SVG with a ``<path>`` per state, one stroke per run of equal days.

A day is one user unit wide and the bar one unit high; the SVG is scaled to its box (``preserveAspectRatio="none"``).
The operational days are the background; each run of days in another state is a horizontal stroke one unit thick,
``M<first day> .5h<days>``, so a run costs a dozen bytes however long it is. What each day was is said in words in
the region's details (``day_lists``); the bar itself carries one accessible name that sums it up.
"""

from itertools import groupby

from django.utils.safestring import mark_safe
from django.utils.translation import ngettext

from maintenance.state import SEVERITY, RegionState
from statuspage.markup import escape


def runs(states):
    """``[(first_index, length, state)]`` for each run of equal consecutive states."""
    out, index = [], 0
    for state, group in groupby(states):
        length = sum(1 for _ in group)
        out.append((index, length, state))
        index += length
    return out


def paths(states):
    """``{state: path data}`` for the states other than operational, worst last: a stroke per run of days."""
    by_state = {}
    for first, length, state in runs(states):
        if state != RegionState.OPERATIONAL:
            by_state.setdefault(state, []).append(f"M{first} .5h{length}")
    return {state: "".join(by_state[state]) for state in sorted(by_state, key=SEVERITY.__getitem__)}


def summary(region_name, states):
    days = len(states)
    bad = sum(1 for state in states if state != RegionState.OPERATIONAL)
    return ngettext(
        "%(region)s: %(bad)s of the last %(days)s days with maintenance or trouble",
        "%(region)s: %(bad)s of the last %(days)s days with maintenance or trouble",
        days,
    ) % {"region": region_name, "bad": bad, "days": days}


def bar_svg(region_name, states):
    """The bar as inline SVG markup: an image whose name sums up the days, with each state's day count on hover."""
    counts = {}
    for state in states:
        counts[state] = counts.get(state, 0) + 1
    parts = [
        f'<svg class="bars" viewBox="0 0 {len(states)} 1" preserveAspectRatio="none" role="img" '
        f'aria-label="{escape(summary(region_name, states))}"><rect class="s-operational" width="{len(states)}" '
        f'height="1"/>'
    ]
    for state, data in paths(states).items():
        count = ngettext("%(label)s: %(days)s day", "%(label)s: %(days)s days", counts[state]) % {
            "label": RegionState(state).label,
            "days": counts[state],
        }
        parts.append(f'<path class="s-{state}" d="{data}"><title>{escape(count)}</title></path>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # every value above is a number, a state name or escaped


def day_lists(bad_days, words):
    """The days that were not operational, worst state first: ``[(state label, "August: 18, 24; September: 3")]``."""
    by_state = {}
    for day in bad_days:
        months = by_state.setdefault(day.state, {})
        months.setdefault((day.date.year, day.date.month), []).append(day.date)
    lists = []
    for state, months in sorted(by_state.items(), key=lambda item: -SEVERITY[item[0]]):
        text = "; ".join(
            f"{words.month(dates[0])}: {', '.join(str(d.day) for d in dates)}" for dates in months.values()
        )
        lists.append((RegionState(state).label, text))
    return lists
