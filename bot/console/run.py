"""`qihub console`: set up SQLite on first run, then read lines until EOF or /quit."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import TextIO

from bot.app import create_app
from bot.console.platform import ConsolePlatform
from bot.console.session import ConsoleSession
from bot.settings import Settings
from handlers.clock import Clock, ManualClock, ShiftedClock, SystemClock
from store.migrate import ensure_current


def run_console(
    settings: Settings,
    *,
    as_email: str | None = None,
    start: datetime | None = None,
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> int:
    base: Clock = ManualClock(start) if start is not None else SystemClock()
    clock = ShiftedClock(base)
    app = create_app(settings, clock=clock)
    if ensure_current(app.engine):
        stdout.write(f"Database ready at {app.engine.url.render_as_string(hide_password=True)}\n")
    app.sync_directory()
    email = (as_email or (app.config.people[0].email if app.config.people else "")).lower()
    platform = ConsolePlatform(clock)
    session = ConsoleSession(app, clock, platform, stdout, email)
    session.start()
    interactive = stdin.isatty()
    try:
        while True:
            prompt = session.prompt()
            if interactive:
                try:
                    line = input(prompt)
                except EOFError:
                    stdout.write("\n")
                    break
            else:
                stdout.write(prompt)
                stdout.flush()
                raw = stdin.readline()
                if not raw:
                    stdout.write("\n")
                    break
                line = raw.rstrip("\n")
                stdout.write(line + "\n")
            if not session.handle_line(line):
                break
            stdout.flush()
    except KeyboardInterrupt:
        stdout.write("\n")
    finally:
        app.engine.dispose()
    stdout.write("Goodbye.\n")
    stdout.flush()
    return 0
