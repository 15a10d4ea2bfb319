"""The checks every door shares: one-line titles, and CSV cells a spreadsheet would run."""

import csv
import io

import pytest
from django.core.exceptions import ValidationError

from maintenance.csvexport import csv_response, safe_cell
from maintenance.validators import has_unsafe_characters, validate_one_line_title

BREAKS = ["a\rb", "a\nb", "a\x00b", "a\tb", "a\x7fb", "a\u2028b", "a\u2029b", "a\u0085b", "a\x1bb"]


@pytest.mark.parametrize("title", BREAKS)
def test_a_title_with_a_line_break_or_control_character_is_refused(title):
    assert has_unsafe_characters(title)
    with pytest.raises(ValidationError) as refused:
        validate_one_line_title(title)
    assert refused.value.messages == ["A title is one line, without line breaks or control characters."]
    assert refused.value.code == "one_line"


@pytest.mark.parametrize("title", ["Release 2026-11", "Mise à jour — 東京", "", None])
def test_a_one_line_title_passes_unchanged(title):
    assert not has_unsafe_characters(title)
    assert validate_one_line_title(title) == title


def test_csv_response_quotes_every_cell_a_spreadsheet_would_run_as_a_formula():
    response = csv_response("x.csv", ["=header", "ok"], [["=1+1", 5], [None, "-2"], ["@A1", "\tx"]])
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="x.csv"'
    assert list(csv.reader(io.StringIO(response.content.decode()))) == [
        ["'=header", "ok"],
        ["'=1+1", "5"],
        ["", "'-2"],
        ["'@A1", "'\tx"],
    ]
    assert safe_cell("+1") == "'+1" and safe_cell("\rx") == "'\rx" and safe_cell(None) == ""
