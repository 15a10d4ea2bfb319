"""CSV downloads that a spreadsheet opens safely: a cell that would run as a formula gets a leading quote."""

import csv

from django.http import HttpResponse

# A cell starting with one of these is a formula to Excel, LibreOffice and Google Sheets (CSV injection).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """The text of ``value`` (``None`` is empty), with a leading quote if a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def csv_response(filename, header, rows):
    """An attachment ``filename`` holding ``header`` then ``rows``, every cell made safe with ``safe_cell``."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    writer = csv.writer(response)
    writer.writerow([safe_cell(cell) for cell in header])
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
    return response
