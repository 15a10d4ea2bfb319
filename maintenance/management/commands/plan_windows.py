from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maintenance import planning


class Command(BaseCommand):
    help = "Create the missing planned windows for every active region, from the current month on."

    def add_arguments(self, parser):
        parser.add_argument(
            "--months", type=str, default=None, help="How many months to plan (1-120; default PLAN_MONTHS_AHEAD, 12)."
        )

    def handle(self, *args, **options):
        raw = options["months"]
        if raw is None:
            months = settings.PLAN_MONTHS_AHEAD
        else:
            try:
                months = int(raw)
            except ValueError:
                months = 0
            if not 1 <= months <= 120:
                raise CommandError(f"--months must be a whole number from 1 to 120; got {raw!r}.", returncode=2)
        report = planning.plan(timezone.now(), months)
        for line in report.lines():
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(report.created)} created, {len(report.skipped)} skipped, {report.unchanged} already planned."
            )
        )
