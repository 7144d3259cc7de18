"""`qihub contacts import FILE`: mobile numbers and alert emails for staff outside Entra ID.

The file is CSV with a header row: `email` (the person's work email, as in the directory) and
`mobile` and/or `alert_email`. An empty cell leaves that value as it is; a cell holding just
`-` removes what an earlier import or the config gave. Every row is checked before anything is
written: one problem and nothing is imported, and each problem names its line and column,
never the value (numbers are personal data). People who have left are skipped and counted.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from handlers.audit import record
from handlers.contacts import KEEP, ContactChange, Keep, apply_changes, normalise_email
from handlers.context import Context
from handlers.mobile import ContactProblem, normalise_uk_mobile
from messages.templates import count_people, counted

COLUMNS: Final = ("email", "mobile", "alert_email")
REMOVE: Final = "-"
MAX_ROWS: Final = 200_000
"""Far more than a trust's staff: a bigger file is a mistake (or not a contacts file)."""
MAX_CELL: Final = 320
SHOWN_PROBLEMS: Final = 20


class ImportRefused(Exception):
    """The file has problems; nothing was imported. `problems` name lines, never values."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        shown = problems[:SHOWN_PROBLEMS]
        more = len(problems) - len(shown)
        lines = [*shown, f"...and {more} more"] if more else shown
        super().__init__("nothing was imported:\n" + "\n".join(lines))


@dataclass(frozen=True)
class ImportRow:
    line: int
    email: str
    mobile: str | Keep | None
    alert_email: str | Keep | None


@dataclass(frozen=True)
class ImportSummary:
    rows: int
    changed: int
    left: int

    def sentence(self) -> str:
        changed = count_people(self.changed)
        text = f"Imported {counted(self.rows, 'row')}: details changed for {changed}"
        if self.left:
            text += f"; {count_people(self.left)} who had left skipped"
        return text + "."


def read_rows(lines: Iterable[str], *, allow_international: bool = False) -> list[ImportRow]:
    """Every row checked and normalised, or ImportRefused listing each problem."""
    reader = csv.reader(iter(lines), strict=True)
    problems: list[str] = []
    try:
        header = [h.strip().lower() for h in next(reader, [])]
    except csv.Error as exc:
        raise ImportRefused([f"line 1: not readable as CSV ({exc})"]) from None
    columns = _check_header(header, problems)
    if problems:
        raise ImportRefused(problems)
    rows: list[ImportRow] = []
    seen: dict[str, int] = {}
    while True:
        try:
            cells = next(reader, None)
        except csv.Error as exc:
            problems.append(f"line {reader.line_num}: not readable as CSV ({exc})")
            break
        if cells is None:
            break
        if len(rows) + len(problems) >= MAX_ROWS:
            problems.append(f"more than {MAX_ROWS} rows: split the file")
            break
        if not any(c.strip() for c in cells):
            continue  # a blank line
        row = _read_row(reader.line_num, cells, columns, problems, allow_international)
        if row is None:
            continue
        if row.email in seen:
            problems.append(f"line {row.line}: the same person as line {seen[row.email]}")
            continue
        seen[row.email] = row.line
        rows.append(row)
    if problems:
        raise ImportRefused(problems)
    return rows


def _check_header(header: list[str], problems: list[str]) -> dict[str, int]:
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        problems.append(
            f"line 1: unknown column {unknown[0]!r} (the columns are {', '.join(COLUMNS)})"
        )
    if "email" not in header:
        problems.append("line 1: the header needs an `email` column")
    if "mobile" not in header and "alert_email" not in header:
        problems.append("line 1: the header needs a `mobile` or an `alert_email` column")
    if len(set(header)) != len(header):
        problems.append("line 1: a column is named twice")
    return {name: header.index(name) for name in COLUMNS if name in header}


def _read_row(
    line: int,
    cells: list[str],
    columns: dict[str, int],
    problems: list[str],
    allow_international: bool,
) -> ImportRow | None:
    if len(cells) != len(columns):
        problems.append(f"line {line}: {len(cells)} cells where the header has {len(columns)}")
        return None
    if any(len(c) > MAX_CELL for c in cells):
        problems.append(f"line {line}: a cell is longer than {MAX_CELL} characters")
        return None
    found = len(problems)
    try:
        email = normalise_email(cells[columns["email"]])
    except ContactProblem:
        problems.append(f"line {line}, email: not an email address")
        email = ""
    mobile = _cell(cells, columns, "mobile", line, problems, allow_international)
    alert_email = _cell(cells, columns, "alert_email", line, problems, allow_international)
    if len(problems) > found:
        return None
    return ImportRow(line, email, mobile, alert_email)


def _cell(
    cells: list[str],
    columns: dict[str, int],
    name: str,
    line: int,
    problems: list[str],
    allow_international: bool,
) -> str | Keep | None:
    if name not in columns:
        return KEEP
    raw = cells[columns[name]].strip()
    if not raw:
        return KEEP
    if raw == REMOVE:
        return None
    try:
        if name == "mobile":
            return normalise_uk_mobile(raw, allow_international=allow_international)
        return normalise_email(raw)
    except ContactProblem as exc:
        problems.append(f"line {line}, {name}: {exc}")
        return KEEP


def import_contacts(ctx: Context, rows: list[ImportRow]) -> ImportSummary:
    """Write checked rows in the caller's unit of work (all or nothing: it commits once).
    Every email must be someone in the directory; those who have left are skipped."""
    found = {s.email: s for s in ctx.uow.staff.by_emails({r.email for r in rows})}
    unknown = [r.line for r in rows if r.email not in found]
    if unknown:
        raise ImportRefused(
            [f"line {n}, email: nobody in the directory has this email address" for n in unknown]
        )
    active = [r for r in rows if found[r.email].active]
    changes = [
        ContactChange(found[r.email].id, mobile=r.mobile, email=r.alert_email) for r in active
    ]
    changed = apply_changes(ctx.uow, changes, "csv", ctx.now)
    summary = ImportSummary(rows=len(rows), changed=changed, left=len(rows) - len(active))
    record(
        ctx,
        entity_type="contacts",
        entity_ref="csv",
        action="imported",
        after={"rows": summary.rows, "changed": summary.changed, "left": summary.left},
    )
    return summary
