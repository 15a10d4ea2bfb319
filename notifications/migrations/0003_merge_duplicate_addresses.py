"""One subscriber per mailbox, and no address in the tracking-event table.

Subscribers whose addresses differ only in letter case are merged into one: the most restrictive state wins
(suppressed, then confirmed, then pending, then unsubscribed; the oldest among equals), and it keeps the regions
of all of them. Suppressed addresses get a ``Suppression`` row (a keyed hash), and each tracking event keeps a keyed
hash of its recipient instead of the address.
"""

from django.db import migrations

from notifications.addresses import address_hash, canonical

RANK = {"suppressed": 0, "confirmed": 1, "pending": 2, "unsubscribed": 3}


def forwards(apps, schema_editor):
    Subscriber = apps.get_model("notifications", "Subscriber")
    ProcessedEvent = apps.get_model("notifications", "ProcessedEvent")
    Suppression = apps.get_model("notifications", "Suppression")

    groups = {}
    for subscriber in Subscriber.objects.order_by("created_at", "id"):
        groups.setdefault(canonical(subscriber.email), []).append(subscriber)
    for members in groups.values():
        if len(members) < 2:
            continue
        members.sort(key=lambda s: (RANK.get(s.state, 9), s.created_at, s.id))
        keep, others = members[0], members[1:]
        regions = {region.pk for member in members for region in member.regions.all()}
        keep.regions.set(regions)
        keep.confirm_requests = max(member.confirm_requests for member in members)
        keep.save(update_fields=["confirm_requests"])
        Subscriber.objects.filter(pk__in=[member.pk for member in others]).delete()

    for event in ProcessedEvent.objects.exclude(recipient=""):
        event.recipient_hash = address_hash(event.recipient)
        event.save(update_fields=["recipient_hash"])

    for subscriber in Subscriber.objects.filter(state="suppressed"):
        digest = address_hash(subscriber.email)
        event = ProcessedEvent.objects.filter(recipient_hash=digest).order_by("-created_at").first()
        Suppression.objects.get_or_create(
            address_hash=digest,
            defaults={
                "reason": subscriber.state_reason or "suppressed",
                "event": event,
                "created_at": subscriber.updated_at,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("notifications", "0002_canonical_address_suppression")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
