"""`qihub db upgrade` and `qihub db current`."""

from __future__ import annotations

from typing import TextIO

from bot.settings import Settings
from store import migrate
from store.db import check_connection, make_engine


def run_db_task(task: str, settings: Settings, out: TextIO) -> int:
    engine = make_engine(settings.database_url)
    try:
        check_connection(engine)
        where = engine.url.render_as_string(hide_password=True)
        before = migrate.current_revision(engine)
        head = migrate.head_revision()
        if task == "current":
            out.write(f"{where}: at {before or 'nothing (empty)'}; latest is {head}\n")
            return 0
        if before == head:
            out.write(f"{where} is up to date ({head}).\n")
            return 0
        migrate.upgrade(engine)
        out.write(f"{where} upgraded from {before or 'empty'} to {head}.\n")
        return 0
    finally:
        engine.dispose()
