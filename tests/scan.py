"""Read every row of every table (SQLite's full-text shadow tables too) and say where a value
turns up: the proof behind redaction ("found nowhere") and anonymity ("linked nowhere")."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Engine, inspect, text


def tables(engine: Engine) -> list[str]:
    """Every table, including the ones the models do not know (lesson_fts and its shadows)."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            query = "SELECT name FROM sqlite_master WHERE type = 'table'"
            return sorted(connection.scalars(text(query)))
    return sorted(inspect(engine).get_table_names())


def _as_text(value: Any) -> str | None:
    if value is None or isinstance(value, bool | int | float):
        return None
    if isinstance(value, bytes | bytearray | memoryview):
        return bytes(value).decode("latin-1")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def cells(engine: Engine) -> Iterator[tuple[str, str, Any]]:
    """(table, column, value) for every cell of every table."""
    with engine.connect() as connection:
        for table in tables(engine):
            if engine.dialect.name == "sqlite" and table == "lesson_fts":
                continue  # external content: reading it reads the lesson table again
            result = connection.execute(text(f'SELECT * FROM "{table}"'))
            names = list(result.keys())
            for row in result:
                for name, value in zip(names, row, strict=True):
                    yield table, name, value


def where_found(engine: Engine, needle: str) -> list[tuple[str, str]]:
    """The (table, column) pairs holding `needle`, case-insensitively, as text, JSON or bytes."""
    wanted = needle.lower()
    found: set[tuple[str, str]] = set()
    for table, column, value in cells(engine):
        shown = _as_text(value)
        if shown is not None and wanted in shown.lower():
            found.add((table, column))
    return sorted(found)
