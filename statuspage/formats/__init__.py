"""Per-language date formats (Django's FORMAT_MODULE_PATH), beside Django's own for each language.

Each module names the patterns ``maintenance/dates.py`` uses for the pages, feeds and emails; English is that
module's default, so only the other languages have a module here.
"""
