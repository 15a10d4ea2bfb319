"""Interval arithmetic for the SLA ledger, pure: no database, no clock.

An interval is a (start, end) pair of aware datetimes, half-open: [start, end).
"""

from bisect import bisect_left, bisect_right
from datetime import timedelta


def union(intervals):
    """The sorted, merged union of ``intervals``; empty ones are dropped."""
    if not intervals:  # an empty list or tuple; a generator is always truthy and goes the long way
        return []
    merged = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def subtract(intervals, holes):
    """``intervals`` minus ``holes``, as a sorted, merged list."""
    result = []
    holes = union(holes)
    for start, end in union(intervals):
        cursor = start
        for hole_start, hole_end in holes:
            if hole_end <= cursor or hole_start >= end:
                continue
            if hole_start > cursor:
                result.append((cursor, hole_start))
            cursor = max(cursor, hole_end)
            if cursor >= end:
                break
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals, lo, hi):
    """The parts of ``intervals`` inside [lo, hi)."""
    return union((max(start, lo), min(end, hi)) for start, end in intervals)


def total(intervals):
    """The summed length of a union of ``intervals``."""
    return sum((end - start for start, end in union(intervals)), timedelta())


def within(merged, lo, hi):
    """The parts of ``merged`` (a sorted, merged list, as ``union`` returns) inside [lo, hi), found by bisection:
    the same as ``clip(merged, lo, hi)`` without a pass over the whole list."""
    if lo >= hi or not merged:
        return []
    first = bisect_right(merged, (lo,)) - 1  # the last interval starting before lo may reach into [lo, hi)
    last = bisect_left(merged, (hi,))
    parts = []
    for start, end in merged[max(first, 0) : last]:
        start, end = max(start, lo), min(end, hi)
        if start < end:
            parts.append((start, end))
    return parts
