import json

from django.core.management.base import BaseCommand, CommandError

from maintenance import rule
from maintenance.models import Region


def _fail(message):
    return CommandError(message, returncode=2)


class Command(BaseCommand):
    help = (
        "Show when the rule would place windows: the last Saturday of each month at an off-peak time in a zone. "
        "Give --timezone, --start and --minutes, or --region SLUG."
    )

    def add_arguments(self, parser):
        parser.add_argument("--region", help="Take zone, start and length from this region.")
        parser.add_argument("--timezone", help="IANA time zone, e.g. Europe/Berlin.")
        parser.add_argument("--start", help="Off-peak wall-clock start, HH:MM.")
        parser.add_argument("--minutes", help="Window length in minutes (1-60).")
        parser.add_argument("--from", dest="first", required=True, help="First month, YYYY-MM.")
        parser.add_argument("--months", default="12", help="How many months (1-1200, default 12).")
        parser.add_argument("--json", action="store_true", help="Print a JSON array instead of a table.")

    def handle(self, *args, **options):
        tz_name, wall, minutes = self._rule_inputs(options)
        try:
            tz = rule.zone(tz_name)
            wall = rule.parse_wall_time(wall)
            minutes = rule.check_minutes(_whole(minutes, "--minutes"))
            first = rule.Month.parse(options["first"])
            count = _whole(options["months"], "--months")
            if not 1 <= count <= 1200:
                raise ValueError(f"--months must be from 1 to 1200; got {count}.")
            slots = rule.windows(first, count, tz, wall, minutes)
        except ValueError as exc:
            raise _fail(str(exc)) from None
        except OverflowError:
            raise _fail("Those months run past the year 9999.") from None
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(slot, tz) for slot in slots], indent=2))
        else:
            self._table(slots, tz, tz_name)

    def _rule_inputs(self, options):
        own = [options["timezone"], options["start"], options["minutes"]]
        if options["region"]:
            if any(value is not None for value in own):
                raise _fail("Give either --region or --timezone/--start/--minutes, not both.")
            region = Region.objects.filter(slug=options["region"]).first()
            if region is None:
                raise _fail(f"There is no region {options['region']!r}.")
            return region.timezone, region.offpeak_start.strftime("%H:%M"), str(region.window_minutes)
        if any(value is None for value in own):
            raise _fail("Give --timezone, --start and --minutes (or --region SLUG).")
        return own

    def _table(self, slots, tz, tz_name):
        self.stdout.write(f"{'month':<8}  {'local start (' + tz_name + ')':<32}  {'local end':<22}  UTC")
        for slot in slots:
            start, end = slot.starts_at.astimezone(tz), slot.ends_at.astimezone(tz)
            self.stdout.write(
                f"{slot.month!s:<8}  {start:%a %Y-%m-%d %H:%M %Z (%z)}".ljust(44)
                + f"{end:%Y-%m-%d %H:%M %Z}".ljust(24)
                + f"{slot.starts_at:%Y-%m-%d %H:%M}–{slot.ends_at:%H:%M}"
            )


def _whole(value, flag):
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{flag} must be a whole number; got {value!r}.") from None


def _as_json(slot, tz):
    return {
        "month": str(slot.month),
        "starts_at": slot.starts_at.astimezone(tz).isoformat(),
        "ends_at": slot.ends_at.astimezone(tz).isoformat(),
    }
