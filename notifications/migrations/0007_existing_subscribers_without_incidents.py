from django.db import migrations


def incidents_off_for_existing(apps, schema_editor):
    """Everyone who subscribed before incident notices existed chose planned maintenance only: they keep exactly
    that until they opt in to incidents on their manage page. New subscribers have both topics on by default."""
    Subscriber = apps.get_model("notifications", "Subscriber")
    Subscriber.objects.update(topic_maintenance=True, topic_incidents=False)


class Migration(migrations.Migration):
    dependencies = [
        ("notifications", "0006_subscriber_topics_incident_deliveries"),
    ]

    operations = [
        migrations.RunPython(incidents_off_for_existing, migrations.RunPython.noop, elidable=True),
    ]
