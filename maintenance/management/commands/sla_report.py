from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from maintenance import sla
from maintenance.rule import Month


class Command(BaseCommand):
    help = (
        "Print each active region's availability for one month against SLA_TARGET, with the minutes of "
        "maintenance set aside and of incident time excluded by category."
    )

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM; defaults to the current month (UTC).")

    def handle(self, *args, month=None, **options):
        now = timezone.now()
        try:
            wanted = Month.parse(month) if month is not None else sla.current_month(now)
        except ValueError as exc:
            raise CommandError(str(exc), returncode=2) from None
        rows = sla.ledger([wanted], now)
        self.stdout.write(
            f"{'region':<14} {'month':<7} {'minutes':>7} {'down':>9} {'maint.':>8} {'excluded':>9} "
            f"{'availability':>12}  met  by category"
        )
        for row in rows:
            excluded = sum(row.excluded_minutes.values())
            categories = ", ".join(f"{name} {value}" for name, value in row.excluded_minutes.items() if value)
            self.stdout.write(
                f"{row.region.slug:<14} {row.month!s:<7} {row.minutes_in_month:>7} {row.downtime_minutes!s:>9} "
                f"{row.maintenance_minutes!s:>8} {excluded!s:>9} {row.availability_percent!s:>11}%  "
                f"{'yes' if row.met else 'no ':<3}  {categories or '-'}".rstrip()
            )
