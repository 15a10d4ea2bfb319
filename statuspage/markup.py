"""Escaping for the markup the public pages put together in Python (the bars, the strip, the table rows)."""

import html


def escape(text):
    """What ``django.utils.html.escape`` writes, as a plain string for markup that is marked safe as a whole.

    Django's ``escape`` is wrapped so that it also takes a lazy string, and that wrapper costs several times the
    escaping itself; the status page escapes a few hundred values per render.
    """
    return html.escape(str(text))
