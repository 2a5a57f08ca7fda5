"""An .xlsx sheet as rows, for manual entry: what people keep their phoned-in records in.

Read with openpyxl (docs/design.md says why a library): the workbook's first sheet, its first
non-empty row as the header, the cached values of formulas rather than their text. Dates and
times come back as ISO text, as an export would carry them; numbers as numbers.
"""

import zipfile
from pathlib import Path
from typing import Any

from zartsalgo_pipelines.sources.files import SourceRow


def sheet_rows(path: Path) -> tuple[list[str], list[SourceRow]]:
    """The header and the data rows (numbered by their row in the sheet) of the first sheet.

    Raises ``ValueError`` with one line when the file is not a readable workbook.
    """
    import openpyxl
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as error:
        raise ValueError(f"{path.name}: not a readable .xlsx workbook ({error})") from None
    try:
        numbered = [
            (number, values)
            for number, values in enumerate(workbook.worksheets[0].iter_rows(values_only=True), 1)
            if not all(_blank(v) for v in values)  # an empty row is not a record anyone entered
        ]
    finally:
        workbook.close()
    if not numbered:
        return [], []
    # A sheet's rows are as wide as its widest row: columns empty in every row are not columns.
    width = max(
        max((i + 1 for i, v in enumerate(row) if not _blank(v)), default=0) for _, row in numbered
    )
    header = ["" if v is None else str(v).strip() for v in numbered[0][1][:width]]
    header += [""] * (width - len(header))
    rows = [
        SourceRow(path.name, number, dict(zip(header, values, strict=False)))
        for number, values in numbered[1:]
    ]
    return header, rows


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())
