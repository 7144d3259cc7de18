"""The `qihub` command line. Operator mistakes end with exit 2 and one plain sentence."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, TextIO

from pydantic import ValidationError

from bot.errors import MissingCredential
from handlers.config import ConfigError
from store.db import DatabaseUnavailable, Engine

if TYPE_CHECKING:
    from bot.settings import Settings

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qihub", description="QI Hub: quality improvement and learning, in chat."
    )
    commands = parser.add_subparsers(dest="command", metavar="command", required=True)

    console = commands.add_parser("console", help="chat with QI Hub locally (no credentials)")
    console.add_argument("--as", dest="as_email", metavar="EMAIL", help="who you are at first")
    console.add_argument(
        "--start",
        metavar="ISO-TIME",
        help="start the console clock at this time (e.g. 2026-11-26T09:00+00:00)",
    )

    commands.add_parser(
        "web",
        help="HTTP server on $PORT: Slack at /slack/events, Teams at /api/messages, /healthz",
    )
    commands.add_parser("clock", help="run the scheduler and the outbox sender")

    db = commands.add_parser("db", help="database tasks")
    db_commands = db.add_subparsers(dest="db_command", metavar="task", required=True)
    db_commands.add_parser("upgrade", help="apply migrations to $DATABASE_URL")
    db_commands.add_parser("current", help="show the applied and the latest migration")

    config = commands.add_parser("config", help="organisation config tasks")
    config_commands = config.add_subparsers(dest="config_command", metavar="task", required=True)
    check = config_commands.add_parser("check", help="validate a config file and summarise it")
    check.add_argument(
        "file",
        nargs="?",
        help="the file (default: $QIHUB_CONFIG or the bundled Clatterbridge defaults)",
    )

    slack = commands.add_parser("slack", help="Slack tasks")
    slack_commands = slack.add_subparsers(dest="slack_command", metavar="task", required=True)
    manifest = slack_commands.add_parser(
        "manifest", help="print the Slack app manifest (YAML) to paste when creating the app"
    )
    manifest.add_argument(
        "--url",
        metavar="BASE_URL",
        help="public https base URL of `qihub web` (default: organisation.web_base_url)",
    )
    manifest.add_argument(
        "--socket-mode",
        action="store_true",
        help="for Socket Mode (SLACK_APP_TOKEN): no request URLs",
    )

    teams = commands.add_parser("teams", help="Microsoft Teams tasks")
    teams_commands = teams.add_subparsers(dest="teams_command", metavar="task", required=True)
    package = teams_commands.add_parser(
        "package",
        help="build the Teams app package (manifest and icons, zipped) to upload to Teams",
    )
    package.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        default="qihub-teams.zip",
        help="where to write the zip (default: qihub-teams.zip)",
    )
    package.add_argument(
        "--base-url",
        metavar="URL",
        help="public https address of `qihub web`: its host goes in validDomains and it is the "
        "default developer link (default: organisation.web_base_url, no validDomains)",
    )
    teams_commands.add_parser(
        "sync-directory", help="sync staff from Microsoft Graph (delta query)"
    )
    teams_commands.add_parser(
        "install-for-all",
        help="install QI Hub for every member of staff through Graph so alerts can reach them",
    )
    alerts = commands.add_parser("alerts", help="critical alert tasks")
    alert_commands = alerts.add_subparsers(dest="alerts_command", metavar="task", required=True)
    export = alert_commands.add_parser(
        "export", help="write an alert's acknowledgement ledger as CSV (assurance evidence)"
    )
    export.add_argument("ref", metavar="ALERT-REF", help="the alert, e.g. ALERT-2026-0001")
    export.add_argument(
        "-o", "--output", metavar="FILE", help="where to write the CSV (default: standard output)"
    )
    contacts = commands.add_parser(
        "contacts", help="staff mobile numbers and alert emails (personal data, never shown)"
    )
    contact_commands = contacts.add_subparsers(
        dest="contacts_command", metavar="task", required=True
    )
    contact_import = contact_commands.add_parser(
        "import", help="import mobile numbers and alert emails from CSV (email,mobile,alert_email)"
    )
    contact_import.add_argument("file", metavar="FILE", help="the CSV file (UTF-8, with a header)")
    notify = commands.add_parser("notify", help="GOV.UK Notify tasks (texts and emails)")
    notify_commands = notify.add_subparsers(dest="notify_command", metavar="task", required=True)
    notify_commands.add_parser(
        "check", help="ask Notify whether the [notify] templates exist and fit (needs the key)"
    )
    registers = commands.add_parser(
        "export", help="a register as CSV for the annual report: lessons, actions or ideas"
    )
    registers.add_argument("register", choices=["lessons", "actions", "ideas"])
    registers.add_argument(
        "-o", "--output", metavar="FILE", help="where to write the CSV (default: standard output)"
    )
    safety = commands.add_parser("safety", help="the clinical safety hazard log (DCB0129)")
    safety_commands = safety.add_subparsers(dest="safety_command", metavar="task", required=True)
    for task, help_text in (
        ("export", "the hazard log as CSV, a row per hazard and control, for a DCB0160 file"),
        ("markdown", "the hazard log as markdown (docs/clinical-safety/hazard-log.md)"),
    ):
        safety_task = safety_commands.add_parser(task, help=help_text)
        safety_task.add_argument(
            "-o", "--output", metavar="FILE", help="where to write it (default: standard output)"
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        from bot.settings import Settings

        try:
            settings = Settings()
        except ValidationError as exc:
            first = exc.errors()[0]
            name = str(first["loc"][0]).upper() if first["loc"] else "settings"
            message = str(first["msg"]).removeprefix("Value error, ")  # a validator's own words
            raise ConfigError(name, message, "environment") from None
        from bot.observability import configure_logging

        # JSON lines for the services; the console's own few warnings stay readable text.
        configure_logging(settings.log_level, json_lines=args.command != "console")
        status = _dispatch(args, settings)
        sys.stdout.flush()  # a closed pipe is found here, not in the interpreter's last flush
        return status
    except (ConfigError, DatabaseUnavailable, MissingCredential) as exc:
        sys.stderr.write(f"qihub: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:
        return _reader_went_away()


EXIT_BROKEN_PIPE = 141
"""128 + SIGPIPE: what `cat` or `grep` end with when the reader (`| head`) stops reading."""


def _reader_went_away() -> int:
    """The reader of standard output closed it (`qihub export lessons | head`): stop quietly,
    as other tools do, with no traceback; nothing more can be written there."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # so the interpreter's final flush cannot fail again
    os.close(devnull)
    return EXIT_BROKEN_PIPE


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    match args.command:
        case "console":
            return _console(args, settings)
        case "config":
            from bot.config_check import check_config

            return check_config(
                args.file or settings.qihub_config,
                sys.stdout,
                notify_key_set=settings.notify_api_key is not None,
            )
        case "db":
            from bot.dbtasks import run_db_task

            return run_db_task(args.db_command, settings, sys.stdout)
        case "clock":
            from bot.clock import run_clock

            return run_clock(settings)
        case "web":
            from bot.web import run_web

            return run_web(settings)
        case "slack":
            return _slack_manifest(args, settings)
        case "teams":
            return _teams(args, settings)
        case "alerts":
            return _alerts_export(args, settings)
        case "contacts":
            return _contacts_import(args, settings)
        case "notify":
            return _notify_check(settings)
        case "export":
            return _export_register(args, settings)
        case "safety":
            return _safety(args)
    return EXIT_USAGE  # pragma: no cover - argparse rejects anything else


def _console(args: argparse.Namespace, settings: Settings) -> int:
    from bot.console.run import run_console

    start = None
    if args.start:
        try:
            start = datetime.fromisoformat(args.start)
        except ValueError:
            raise ConfigError("--start", "use an ISO time like 2026-11-26T09:00+00:00") from None
        if start.tzinfo is None:
            raise ConfigError("--start", "include the UTC offset, e.g. +00:00")
    return run_console(settings, as_email=args.as_email, start=start)


def _alerts_export(args: argparse.Namespace, settings: Settings) -> int:
    """`qihub alerts export REF [-o FILE]`: the ledger as CSV, to a file or standard output."""
    from handlers.alerts.export import export_ledger
    from handlers.errors import NotFound
    from messages.templates import counted
    from store.uow import UnitOfWorkFactory

    engine = _existing_database(settings)
    try:
        with UnitOfWorkFactory(engine)() as uow:
            try:
                if uow.alerts.by_ref(args.ref) is None:  # before any file is created
                    raise NotFound(f"there is no alert {args.ref.strip().upper()}")
                if args.output:
                    with _output(args.output) as out:
                        count = export_ledger(uow, args.ref, out)
                    sys.stderr.write(
                        f"qihub: wrote {counted(count, 'recipient')} to {args.output}\n"
                    )
                else:
                    export_ledger(uow, args.ref, sys.stdout)
            except NotFound as exc:
                sys.stderr.write(f"qihub: {exc}\n")
                return EXIT_USAGE
            uow.commit()
    finally:
        engine.dispose()
    return 0


def _contacts_import(args: argparse.Namespace, settings: Settings) -> int:
    """`qihub contacts import FILE`: all rows or none, problems named by line."""
    from bot.contacts_cli import run_contacts_import

    _existing_database(settings).dispose()  # refused in one sentence when absent or stale
    return run_contacts_import(settings, args.file, sys.stdout, sys.stderr)


def _notify_check(settings: Settings) -> int:
    """`qihub notify check`: the configured templates, as Notify has them."""
    from bot.notify.check import run_notify_check
    from handlers.config import load_config

    return run_notify_check(settings, load_config(settings.qihub_config).notify, sys.stdout)


def _existing_database(settings: Settings) -> Engine:
    """The database an export reads: refused in one sentence when there is none (without
    creating an empty SQLite file where the command happened to run) or it is out of date."""
    from store.db import check_connection, make_engine, sqlite_file
    from store.migrate import current_revision, head_revision

    path = sqlite_file(settings.database_url)
    if path is not None and not path.exists():
        raise ConfigError(
            "",
            f"there is no QI Hub database at {path}; set DATABASE_URL, "
            "or run `qihub db upgrade` to create one",
        )
    engine = make_engine(settings.database_url)
    check_connection(engine)
    if current_revision(engine) != head_revision():
        engine.dispose()
        raise ConfigError("", "the database is not up to date; run `qihub db upgrade` first")
    return engine


def _output(path: str) -> TextIO:
    """A file to write an export to, or one sentence saying why it cannot be written."""
    try:
        return open(path, "w", newline="", encoding="utf-8")
    except OSError as exc:
        raise ConfigError("-o", f"cannot write {path}: {exc.strerror or exc}") from None


def _export_register(args: argparse.Namespace, settings: Settings) -> int:
    """`qihub export lessons|actions|ideas [-o FILE]`: streamed, so any size of register."""
    from bot.exports import write_register
    from messages.templates import counted
    from store.uow import UnitOfWorkFactory

    engine = _existing_database(settings)
    try:
        with UnitOfWorkFactory(engine)() as uow:
            if args.output:
                with _output(args.output) as out:
                    count = write_register(args.register, uow.registers, out)
                written = counted(count, args.register.removesuffix("s"))
                sys.stderr.write(f"qihub: wrote {written} to {args.output}\n")
            else:
                write_register(args.register, uow.registers, sys.stdout)
    finally:
        engine.dispose()
    return 0


def _safety(args: argparse.Namespace) -> int:
    """`qihub safety export|markdown [-o FILE]`: the hazard log as CSV or markdown; it refuses
    a log that breaks its own rules, so an inconsistent file never reaches a trust."""
    from bot.safety import export_csv, load, markdown, problems

    log = load()
    broken = problems(log)
    if broken:
        raise ConfigError("", f"the hazard log breaks its rules: {broken[0]}")
    if args.safety_command == "markdown":
        text = markdown(log)
        if args.output:
            with _output(args.output) as out:
                out.write(text)
        else:
            sys.stdout.write(text)
        return 0
    if args.output:
        with _output(args.output) as out:
            count = export_csv(log, out)
        sys.stderr.write(f"qihub: wrote {count} hazard controls to {args.output}\n")
    else:
        export_csv(log, sys.stdout)
    return 0


def _slack_manifest(args: argparse.Namespace, settings: Settings) -> int:
    from bot.slack.manifest import events_url, manifest_text
    from bot.urls import is_https
    from handlers.catalogue import build_registry
    from handlers.config import load_config

    config = load_config(settings.qihub_config)
    base_url = config.organisation.web_base_url if args.url is None else args.url
    url = events_url(base_url)  # a bad --url ends here, with exit 2
    if not args.socket_mode and not is_https(url):
        source = "organisation.web_base_url" if args.url is None else "--url"
        sys.stderr.write(
            f"qihub: warning: {url} is not https; Slack only sends requests to https URLs, "
            f"so set {source} to the public https address before installing (or use "
            "--socket-mode)\n"
        )
    sys.stdout.write(
        manifest_text(config, build_registry(config), base_url, socket_mode=args.socket_mode)
    )
    return 0


def _teams(args: argparse.Namespace, settings: Settings) -> int:
    match args.teams_command:
        case "package":
            return _teams_package(args, settings)
        case "sync-directory":
            from bot.teams.graph_tasks import run_directory_sync

            return run_directory_sync(settings)
        case "install-for-all":
            from bot.teams.graph_tasks import run_install_for_everyone

            return run_install_for_everyone(settings)
    return EXIT_USAGE  # pragma: no cover - argparse rejects anything else


def _teams_package(args: argparse.Namespace, settings: Settings) -> int:
    from bot.teams.package import (
        COLOR_ICON,
        COLOR_SIZE,
        OUTLINE_ICON,
        OUTLINE_SIZE,
        SCOPE_NAMES,
        developer_links,
        teams_manifest,
        write_package,
    )
    from bot.urls import is_https
    from handlers.catalogue import build_registry
    from handlers.config import load_config

    config = load_config(settings.qihub_config)
    manifest = teams_manifest(settings, config, build_registry(config), base_url=args.base_url)
    links = developer_links(settings, config, args.base_url)
    path = write_package(manifest, args.output)

    bot = manifest["bots"][0]
    menus = {
        scope: len(entry["commands"]) for entry in bot["commandLists"] for scope in entry["scopes"]
    }
    titles = sorted({c["title"] for entry in bot["commandLists"] for c in entry["commands"]})
    out = sys.stdout
    out.write(
        f"Wrote {path}: manifest.json, {COLOR_ICON} ({COLOR_SIZE}x{COLOR_SIZE}) and "
        f"{OUTLINE_ICON} ({OUTLINE_SIZE}x{OUTLINE_SIZE}).\n"
        f"  app id   {manifest['id']} (version {manifest['version']})\n"
        f"  bot id   {bot['botId']} (TEAMS_CLIENT_ID)\n"
        f"  commands {len(titles)} in the command menus ("
        + ", ".join(f"{count} in {SCOPE_NAMES.get(scope, scope)}" for scope, count in menus.items())
        + ")\n"
    )
    if "validDomains" in manifest:
        out.write(f"  domain   {', '.join(manifest['validDomains'])}\n")
    unset = [
        variable
        for variable, is_default in (
            ("TEAMS_PRIVACY_URL", links.privacy_is_default),
            ("TEAMS_TERMS_URL", links.terms_is_default),
        )
        if is_default
    ]
    if unset:
        out.write(
            f"  note     the privacy and terms links fall back to {links.website}; set "
            f"{' and '.join(unset)} to the trust's privacy notice and terms of use\n"
        )
    out.write(
        "Upload it in the Teams admin centre: Teams apps > Manage apps > Upload new app. For "
        "`qihub teams install-for-all`, then set TEAMS_APP_ID to the id the catalogue gives it "
        f"(Graph: GET /appCatalogs/teamsApps?$filter=externalId eq '{manifest['id']}').\n"
    )
    plain = [url for url in (links.website, links.privacy, links.terms) if not is_https(url)]
    if plain:
        sys.stderr.write(
            f"qihub: warning: {plain[0]} is not https; Teams expects https links, so give "
            "--base-url (or the TEAMS_*_URL settings) with the public https address before "
            "uploading\n"
        )
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
