"""The outbox's endpoint columns lose their own indexes: the unique (endpoint, event) indexes and the order index
begin with them, and each row made, claimed and recorded wrote two index entries more than it needed."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("endpoints", "0002_release_managers_channels"),
    ]

    operations = [
        migrations.AlterField(
            model_name="endpointdelivery",
            name="channel",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="endpoints.channel",
                verbose_name="chat channel",
            ),
        ),
        migrations.AlterField(
            model_name="endpointdelivery",
            name="subscription",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="deliveries",
                to="endpoints.webhooksubscription",
                verbose_name="webhook subscription",
            ),
        ),
    ]
