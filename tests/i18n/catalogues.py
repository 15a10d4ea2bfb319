"""Reading the translation catalogues and the strings the code marks for translation, for the i18n tests.

The sources are read the way ``makemessages`` reads them: templates through Django's own ``templatize`` (which turns
``{% translate %}`` and ``{% blocktranslate %}`` into gettext calls), Python through its syntax tree, with the keywords
``makemessages`` gives xgettext. A message is keyed by (context, msgid, plural msgid) as in a .po file.
"""

import ast
import functools
import os
import re
from pathlib import Path

import polib
from django.apps import apps
from django.conf import settings
from django.utils.translation.template import templatize

ROOT = Path(settings.BASE_DIR)
# (context argument, msgid argument, plural argument) of each keyword makemessages passes to xgettext.
KEYWORDS = {
    "_": (None, 0, None),
    "gettext": (None, 0, None),
    "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None),
    "ngettext": (None, 0, 1),
    "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None),
    "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2),
    "npgettext_lazy": (0, 1, 2),
}
CALL = re.compile(r"\b(" + "|".join(re.escape(name) for name in KEYWORDS) + r")\(")


def languages():
    """The site's languages other than the one its messages are written in."""
    return [code for code, _name in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def project_apps():
    """The project's own apps (not the installed packages, which live under ``.venv/`` inside the checkout)."""
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).is_relative_to(ROOT)
        and not any(part.startswith(".") for part in Path(config.path).relative_to(ROOT).parts)
    ]


def locale_dirs():
    """The project's catalogue folders: LOCALE_PATHS and each project app's ``locale/``."""
    dirs = [Path(path) for path in settings.LOCALE_PATHS]
    dirs += [Path(config.path) / "locale" for config in project_apps() if (Path(config.path) / "locale").is_dir()]
    return dirs


def po_files(language):
    return [folder / language / "LC_MESSAGES" / "django.po" for folder in locale_dirs()]


def key(entry):
    return (entry.msgctxt or None, entry.msgid, entry.msgid_plural or "")


def entries(language):
    """{key: (entry, file)} of the language's current (not obsolete) messages, across its catalogues."""
    found = {}
    for path in po_files(language):
        if path.exists():
            for entry in polib.pofile(str(path)):
                if not entry.obsolete and entry.msgid:
                    found.setdefault(key(entry), (entry, path.relative_to(ROOT)))
    return found


def describe(message):
    context, msgid, plural = message
    text = repr(msgid) + (f" (plural {plural!r})" if plural else "")
    return f"{text} [context {context!r}]" if context else text


def _calls(code):
    """The messages of the keyword calls in ``code`` whose arguments are literal strings."""
    tree = ast.parse(code)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
        if name not in KEYWORDS:
            continue
        context, msgid, plural = KEYWORDS[name]
        args = node.args

        def literal(index, args=args):
            if index is None:
                return ""
            if index < len(args) and isinstance(args[index], ast.Constant) and isinstance(args[index].value, str):
                return args[index].value
            return None

        values = literal(context), literal(msgid), literal(plural)
        if None not in values and values[1]:
            yield (values[0] or None, values[1], values[2])


def _template_calls(text):
    """templatize's output is blanked-out text with gettext calls in it: parse each call on its own."""
    for match in CALL.finditer(text):
        start = match.start()
        end = text.find(")", match.end())
        while end != -1:
            try:
                yield from _calls(text[start : end + 1])
                break
            except SyntaxError:
                end = text.find(")", end + 1)


def source_files():
    """What makemessages reads: the project's .py, .html and .txt files, outside hidden and generated folders."""
    skip = {"node_modules", "staticfiles", "var"}  # as the --ignore options of the makemessages command
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith(".") and name not in skip)
        for name in sorted(files):
            if name.endswith((".py", ".html", ".txt")):
                yield Path(folder) / name


@functools.cache
def marked_messages():
    """{key: first file} of every string the code and templates mark for translation."""
    found = {}
    for path in source_files():
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            messages = _calls(text)
        else:
            messages = _template_calls(templatize(text, origin=str(path)))
        for message in messages:
            found.setdefault(message, path.relative_to(ROOT))
    return found
