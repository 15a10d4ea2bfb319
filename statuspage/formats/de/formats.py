# Django date-format syntax (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date).
# "Samstag, 26. Dezember 2026, 22:00 CET"
WEEKDAY_DATETIME_FORMAT = "l, j. F Y, H:i T"
# "Samstag, 26. Dezember 2026"
WEEKDAY_DATE_FORMAT = "l, j. F Y"
# "Samstag, 26. Dezember"
WEEKDAY_MONTH_DAY_FORMAT = "l, j. F"
