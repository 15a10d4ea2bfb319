from datetime import UTC, datetime

import pytest
import time_machine
from django.core.management import CommandError, call_command

from maintenance import incidents


def test_sla_report_prints_one_line_per_region(regions, capsys):
    start = datetime(2026, 3, 10, 10, 0, tzinfo=UTC)
    opened = incidents.open_incident("Errors", [regions["eu-frankfurt"]], "major", "Down.", started_at=start, now=start)
    incidents.resolve(opened, resolved_at=datetime(2026, 3, 10, 11, 30, tzinfo=UTC), now=start.replace(hour=12))
    with time_machine.travel(datetime(2026, 5, 1, tzinfo=UTC), tick=False):
        call_command("sla_report", "--month", "2026-03")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 + len(regions)
    frankfurt = next(line for line in lines if line.startswith("eu-frankfurt"))
    assert frankfurt.split() == ["eu-frankfurt", "2026-03", "44580", "90", "0", "0", "99.7981%", "no", "-"]


def test_sla_report_refuses_a_bad_month_with_exit_2(db):
    with pytest.raises(CommandError, match=r"^'2026-3' is not a month; use YYYY-MM, for example 2026-11\.$") as error:
        call_command("sla_report", "--month", "2026-3")
    assert error.value.returncode == 2
