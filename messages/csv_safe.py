"""CSV that a spreadsheet opens as text, never as a formula.

Exports are opened in Excel by people who trust them; a cell starting with `=`, `+`, `-` or `@`
(or a tab or carriage return, which Excel strips before looking) is run as a formula there
(OWASP "CSV injection"). Every cell goes through `neutralise`, which puts a `'` in front of such
a value so it shows as typed.

Why not `defusedcsv`, the library that does this: it leaves cells that begin with a tab or a
carriage return as they are, and Excel strips those before it decides a cell is a formula.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import IO, Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> str:
    """`value` as text a spreadsheet will not evaluate; None is an empty cell."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class SafeWriter:
    """`csv.writer` with every cell neutralised; rows end in a plain newline."""

    def __init__(self, out: IO[str]) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, row: Iterable[Any]) -> None:
        self._writer.writerow([neutralise(cell) for cell in row])
