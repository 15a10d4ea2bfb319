"""Load the seven data centres of the vendor's promise.

Off-peak starts are staggered so that no two windows overlap: 22:00 local in
each region, 23:00 in the US. In UTC they fall at about 11/12, 13, 14, 16:30,
20/21, 21/22 and 03/04 o'clock.
"""

from datetime import time

from django.db import migrations

SEED = [
    ("us", "United States", "America/New_York", time(23, 0)),
    ("eu-ireland", "EU (Ireland)", "Europe/Dublin", time(22, 0)),
    ("eu-frankfurt", "EU (Frankfurt)", "Europe/Berlin", time(22, 0)),
    ("australia", "Australia", "Australia/Sydney", time(22, 0)),
    ("singapore", "Singapore", "Asia/Singapore", time(22, 0)),
    ("japan", "Japan", "Asia/Tokyo", time(22, 0)),
    ("india", "India", "Asia/Kolkata", time(22, 0)),
]


def load(apps, schema_editor):
    Region = apps.get_model("maintenance", "Region")
    for position, (slug, name, tz, start) in enumerate(SEED):
        Region.objects.get_or_create(
            slug=slug,
            defaults={"name": name, "timezone": tz, "offpeak_start": start, "window_minutes": 60, "position": position},
        )


def unload(apps, schema_editor):
    apps.get_model("maintenance", "Region").objects.filter(slug__in=[row[0] for row in SEED], windows=None).delete()


class Migration(migrations.Migration):
    dependencies = [("maintenance", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
