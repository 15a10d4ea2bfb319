# Django date-format syntax (https://docs.djangoproject.com/en/5.2/ref/templates/builtins/#date).
# "2026年12月26日(土) 22:00 CET"
WEEKDAY_DATETIME_FORMAT = "Y年n月j日(D) H:i T"
# "2026年12月26日(土)"
WEEKDAY_DATE_FORMAT = "Y年n月j日(D)"
# "12月26日(土)"
WEEKDAY_MONTH_DAY_FORMAT = "n月j日(D)"
