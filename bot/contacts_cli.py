"""`qihub contacts import FILE`: the file's I/O and exit codes; the rules are
handlers.contact_import. Nothing printed here ever contains a number or an address."""

from __future__ import annotations

from typing import TextIO

from bot.app import create_app
from bot.settings import Settings
from handlers.config import ConfigError
from handlers.contact_import import ImportRefused, import_contacts, read_rows
from handlers.context import SYSTEM, Context

EXIT_REFUSED = 1


def run_contacts_import(settings: Settings, path: str, out: TextIO, err: TextIO) -> int:
    """Check every row, then write them all in one transaction (or none)."""
    hub = create_app(settings)
    allow_international = hub.config.notify.allow_international
    try:
        try:
            with open(path, newline="", encoding="utf-8-sig") as file:
                rows = read_rows(file, allow_international=allow_international)
        except FileNotFoundError:
            raise ConfigError("FILE", f"{path}: file not found") from None
        except UnicodeDecodeError as exc:
            raise ConfigError(
                "FILE", f"{path} is not UTF-8 text (byte {exc.start + 1}); save it as UTF-8 CSV"
            ) from None
        except OSError as exc:
            raise ConfigError("FILE", f"{path} cannot be read ({exc.strerror})") from None
        with hub.uow_factory() as uow:
            summary = import_contacts(Context(hub.services, uow, SYSTEM, "cli"), rows)
            uow.commit()
    except ImportRefused as exc:
        err.write(f"qihub: {path}: {exc}\n")
        return EXIT_REFUSED
    finally:
        hub.engine.dispose()
    out.write(summary.sentence() + "\n")
    return 0
