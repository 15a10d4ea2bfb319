from django.core.management.base import BaseCommand

from maintenance import zonerules


class Command(BaseCommand):
    help = (
        "Recompute every future window from its local time with the time-zone data installed now: move planned "
        "windows no one edited, flag announced ones to release managers (admin warning and email)."
    )

    def handle(self, *args, **options):
        report = zonerules.check()
        zonerules.notify_managers(report.flagged)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            f"{len(report.moved)} moved, {len(report.flagged)} flagged, {len(report.pending)} waiting for a person."
        )
