"""`qihub teams package`: the Microsoft Teams app package (manifest.json and two icons, zipped).

A Teams admin uploads the zip to the trust's org catalogue (Teams admin centre -> Teams apps ->
Manage apps -> Upload new app). As with the Slack manifest, nothing here is a second hand-kept
list: the bot's command menus come from the registry, so a command added there appears in the
menu the next time the package is built. The icons are drawn here in pure Python (zlib and
struct), so building a package needs nothing but the standard library.

Schema: tests/schemas/MicrosoftTeams.schema.json (manifest version 1.29, draft-04).
tests/test_teams_package.py validates every manifest built here against it.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
import struct
import tempfile
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from bot.errors import MissingCredential
from bot.settings import Settings
from bot.urls import web_address
from handlers.config import ConfigError, OrgConfig
from handlers.permissions import roles_for
from handlers.registry import Command, Registry, Subcommand

MANIFEST_VERSION = "1.29"
"""The newest manifest version the bundled schema allows (its manifestVersion `const`)."""
SCHEMA_URL = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}/"
    "MicrosoftTeams.schema.json"
)
APP_NAME = "QI Hub"
FULL_NAME = "QI Hub: Quality Improvement and Learning"
ACCENT_COLOUR = "#005EB8"
"""NHS Blue, from the NHS identity guidelines (the Slack app uses it too)."""
NHS_BLUE = (0x00, 0x5E, 0xB8)

MAX_COMMANDS = 12
"""Commands per command list: the schema's maxItems for bots[].commandLists[].commands."""
COMMAND_DESCRIPTION_LIMIT = 128
"""Teams shows a short line under each command; older manifests capped it at 128 characters."""
DEVELOPER_NAME_LIMIT = 32
SHORT_DESCRIPTION_LIMIT = 80
FULL_DESCRIPTION_LIMIT = 4000
BOT_SCOPES = ("personal", "team", "groupChat")
SCOPE_NAMES = {"personal": "the personal chat", "team": "teams", "groupChat": "group chats"}
PERSONAL_ONLY = frozenset({"mine", "withdraw", "web"})
"""Subcommands about the person's own records, or answered only to them (`qi web`'s sign-in
link): offered in the personal chat, not in a team or group chat, where the reply would be
about (and seen beside) other people."""
EVERYONE_ROLE = "staff"
"""The config's role for every member of staff; commands open to it rank first in the menus."""

DEFAULT_OUTPUT = "qihub-teams.zip"
COLOR_ICON = "color.png"
COLOR_SIZE = 192
OUTLINE_ICON = "outline.png"
OUTLINE_SIZE = 32

APP_ID_NAMESPACE = uuid.UUID("5f0b6c2e-8d0e-5b8a-9a35-0c1d5e7a9b41")
"""Fixed forever: the app id is uuid5(this, bot client id), so every rebuild gives the same id
(a new id would make Teams treat the upload as a different app)."""

GUID_RE = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER_RE = re.compile(r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$")
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
"""Every entry gets the same timestamp, so the same inputs give a byte-identical zip."""

SHORT_DESCRIPTION = "Share ideas and lessons, and follow the actions that come from them"
FULL_DESCRIPTION = (
    "QI Hub supports the trust's Quality Improvement and Learning Strategy in Teams. Staff "
    "share Bright Ideas, Big Ideas and lessons by chatting with QI Hub (type `idea`, `lesson` "
    "or `qi help`); the ideas panel decides each idea with a reason; each lesson reaches the "
    "right governance committee, which chooses a proportionate response from five tiers of "
    "action. Owners are reminded until the change is made and verified, committees get a "
    "weekly digest in their channel, and everyone can search what changed.\n\n"
    "Do not enter patient-identifiable information: free text that looks like an NHS number, "
    "a date of birth beside a name, or a hospital number is refused before anything is stored."
)


# ------------------------------------------------------------------------------------ ids
def _guid(value: str, variable: str, where: str) -> str:
    value = value.strip()
    if not GUID_RE.match(value):
        raise ConfigError(
            variable,
            f"{value!r} is not a GUID; use the {where} (like 00000000-0000-0000-0000-000000000000)",
            "environment",
        )
    return value.lower()


def bot_id(settings: Settings) -> str:
    """The bot's Entra ID application (client) id; a package without it cannot work."""
    if not settings.teams_client_id or not settings.teams_client_id.strip():
        raise MissingCredential(
            "TEAMS_CLIENT_ID is not set: set it to the Application (client) ID of the bot's "
            "Entra ID app registration, because a Teams package without a bot id cannot work."
        )
    return _guid(
        settings.teams_client_id,
        "TEAMS_CLIENT_ID",
        "Application (client) ID from the app registration's Overview page",
    )


def app_id(settings: Settings) -> str:
    """The manifest's app id: TEAMS_MANIFEST_ID when set, else derived from the bot id, so
    every rebuild gives the same id.

    Not TEAMS_APP_ID: that is the id the org catalogue gives the app when it is uploaded
    (Graph's teamsApp.id, used to install it for people), while this one is the developer's
    id inside the package (Graph's teamsApp.externalId). For a custom app uploaded to the org
    catalogue the two differ, so using the catalogue id here would turn the next upload into
    a different app.
    """
    if settings.teams_manifest_id:
        return _guid(settings.teams_manifest_id, "TEAMS_MANIFEST_ID", "id of the uploaded app")
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id(settings)))


def app_version(settings: Settings) -> str:
    """TEAMS_APP_VERSION, else QI Hub's own version (x.y.z), else 1.0.0."""
    if settings.teams_app_version:
        version = settings.teams_app_version.strip()
        if not SEMVER_RE.match(version):
            raise ConfigError(
                "TEAMS_APP_VERSION",
                f"{version!r} is not a version like 1.2.3 (three numbers)",
                "environment",
            )
        return version
    try:
        version = metadata.version("qihub")
    except metadata.PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "1.0.0"
    return version if SEMVER_RE.match(version) else "1.0.0"


# ------------------------------------------------------------------------------------ URLs
def base_host(base_url: str) -> str:
    """The host of `qihub web`'s public address, as validDomains wants it (no scheme, no port)."""
    host = urlsplit(web_address(base_url, "--base-url")).hostname
    assert host is not None  # _http_url insists on one
    return host


@dataclass(frozen=True)
class DeveloperLinks:
    website: str
    privacy: str
    terms: str
    privacy_is_default: bool
    terms_is_default: bool


def developer_links(settings: Settings, config: OrgConfig, base_url: str | None) -> DeveloperLinks:
    """The developer's website, privacy and terms links: the TEAMS_*_URL settings, else QI Hub's
    own address (--base-url, else organisation.web_base_url)."""
    if base_url is not None:
        home = web_address(base_url, "--base-url")
    else:
        home = web_address(config.organisation.web_base_url, "organisation.web_base_url", "config")

    def pick(value: str | None, variable: str) -> str:
        return home if value is None else web_address(value, variable, "environment")

    return DeveloperLinks(
        website=pick(settings.teams_website_url, "TEAMS_WEBSITE_URL"),
        privacy=pick(settings.teams_privacy_url, "TEAMS_PRIVACY_URL"),
        terms=pick(settings.teams_terms_url, "TEAMS_TERMS_URL"),
        privacy_is_default=settings.teams_privacy_url is None,
        terms_is_default=settings.teams_terms_url is None,
    )


def developer_name(settings: Settings, config: OrgConfig) -> str:
    """TEAMS_DEVELOPER_NAME, else the trust's name shortened to fit Teams' 32 characters."""
    if settings.teams_developer_name:
        name = settings.teams_developer_name.strip()
        if not name or len(name) > DEVELOPER_NAME_LIMIT:
            raise ConfigError(
                "TEAMS_DEVELOPER_NAME",
                f"must be 1 to {DEVELOPER_NAME_LIMIT} characters (Teams' limit)",
                "environment",
            )
        return name
    full = config.organisation.name.strip()
    bare = re.sub(r"^the\s+", "", full, flags=re.IGNORECASE)
    for candidate in (
        full,
        bare,
        re.sub(r"\s+NHS(\s+Foundation)?\s+Trust$", "", bare, flags=re.IGNORECASE),
        config.organisation.short_name.strip(),
    ):
        if 0 < len(candidate) <= DEVELOPER_NAME_LIMIT:
            return candidate
    return APP_NAME


# ------------------------------------------------------------------------------------ commands
@dataclass(frozen=True)
class MenuEntry:
    title: str
    """What the user types: "idea", "qi mine", "lesson status"."""
    description: str
    sub: Subcommand


def _title(command: Command, sub: Subcommand) -> str:
    return f"{command.name} {sub.name}".strip()


def _description(command: Command, sub: Subcommand) -> str:
    """The subcommand's summary, and its arguments when it takes any: `Follow one idea:
    idea status <IDEA-… or receipt>`."""
    usage = sub.usage.strip().lstrip("/")
    summary = sub.summary.strip() or command.summary.strip()
    text = f"{summary}: {usage}" if usage != _title(command, sub) else summary
    if len(text) > COMMAND_DESCRIPTION_LIMIT:
        text = summary[:COMMAND_DESCRIPTION_LIMIT]
    return text


def _help_entry(registry: Registry) -> tuple[Command, Subcommand] | None:
    """The general help: a command called `help`, else the first command's `help` subcommand."""
    if "help" in registry.commands:
        command = registry.commands["help"]
        bare = command.find("")
        if bare is not None:
            return command, bare
    for command in registry.commands.values():
        sub = command.find("help")
        if sub is not None:
            return command, sub
    return None


def command_menu(registry: Registry, config: OrgConfig, scope: str) -> list[MenuEntry]:
    """The commands offered in one scope's menu, most useful first, at most MAX_COMMANDS.

    Deterministic: the general help first; then each command's bare form that every member of
    staff may use (`idea`, `lesson`: share something, which opens the form; a role's own bare
    command, such as `alert`, comes after the other role-specific entries); then the rest,
    those every member of staff may use before those for particular roles, those that need no
    argument before those that do, and the other commands' own `help` last (the general help
    covers them), each group in registry order. Outside the personal chat, the
    person's-own-records subcommands are left out (PERSONAL_ONLY). A subcommand with the same
    handler and summary as one of its command's already chosen (`qi` beside `qi help`) is not
    listed twice.
    """
    candidates: list[tuple[tuple[int, ...], int, Command, Subcommand]] = []
    help_entry = _help_entry(registry)
    order = 0
    for command in registry.commands.values():
        for sub in command.subcommands:
            order += 1
            if scope != "personal" and sub.name in PERSONAL_ONLY:
                continue
            if help_entry is not None and (command, sub) == help_entry:
                rank: tuple[int, ...] = (0,)
            elif sub.name == "" and EVERYONE_ROLE in roles_for(config, sub.permission):
                rank = (1,)
            elif sub.name == "":  # a role's own command (`alert`): after the role-specific ones
                rank = (2, 1, 2)
            elif sub.name == "help":
                rank = (3,)
            else:
                for_everyone = EVERYONE_ROLE in roles_for(config, sub.permission)
                needs_argument = "<" in sub.usage
                rank = (2, 0 if for_everyone else 1, 1 if needs_argument else 0)
            candidates.append((rank, order, command, sub))
    candidates.sort(key=lambda item: (item[0], item[1]))

    entries: list[MenuEntry] = []
    seen: set[tuple[str, Callable[..., Any], str]] = set()
    titles: set[str] = set()
    for _rank, _order, command, sub in candidates:
        key = (command.name, sub.handler, sub.summary)
        title = _title(command, sub)
        if key in seen or title in titles:
            continue
        seen.add(key)
        titles.add(title)
        entries.append(MenuEntry(title, _description(command, sub), sub))
        if len(entries) == MAX_COMMANDS:
            break
    return entries


def command_lists(registry: Registry, config: OrgConfig) -> list[dict[str, Any]]:
    """One command list per bot scope, as the manifest wants them."""
    return [
        {
            "scopes": [scope],
            "commands": [
                {"title": entry.title, "description": entry.description}
                for entry in command_menu(registry, config, scope)
            ],
        }
        for scope in BOT_SCOPES
    ]


# ------------------------------------------------------------------------------------ manifest
def teams_manifest(
    settings: Settings, config: OrgConfig, registry: Registry, *, base_url: str | None
) -> dict[str, Any]:
    """manifest.json for QI Hub's Teams app. `base_url` (the public address of `qihub web`)
    gives validDomains and the default developer links; without it the links come from
    organisation.web_base_url and validDomains is left out."""
    client_id = bot_id(settings)
    links = developer_links(settings, config, base_url)
    manifest: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "manifestVersion": MANIFEST_VERSION,
        "version": app_version(settings),
        "id": app_id(settings),
        "developer": {
            "name": developer_name(settings, config),
            "websiteUrl": links.website,
            "privacyUrl": links.privacy,
            "termsOfUseUrl": links.terms,
        },
        "name": {"short": APP_NAME, "full": FULL_NAME},
        "description": {"short": SHORT_DESCRIPTION, "full": FULL_DESCRIPTION},
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": ACCENT_COLOUR,
        "bots": [
            {
                "botId": client_id,
                "scopes": list(BOT_SCOPES),
                "isNotificationOnly": False,
                "supportsFiles": False,
                "commandLists": command_lists(registry, config),
            }
        ],
        "permissions": ["identity", "messageTeamMembers"],
        "defaultInstallScope": "personal",
        "webApplicationInfo": {"id": client_id, "resource": f"api://botid-{client_id}"},
    }
    if base_url is not None:
        manifest["validDomains"] = [base_host(base_url)]
    return manifest


# ------------------------------------------------------------------------------------ icons
def _png(width: int, height: int, rgba: bytes) -> bytes:
    """A PNG (8-bit RGBA, no interlace) from raw pixels, row by row."""
    if len(rgba) != width * height * 4:
        raise ValueError("pixel data does not match the size")

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    stride = width * 4
    raw = b"".join(b"\x00" + rgba[y * stride : (y + 1) * stride] for y in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


def _coverage(distance: float) -> float:
    """Anti-aliased coverage of a pixel whose centre is `distance` pixels outside a shape."""
    return min(1.0, max(0.0, 0.5 - distance))


def _rounded_square(x: float, y: float, half: float, radius: float) -> float:
    """Signed distance from (x, y) (relative to the centre) to a rounded square."""
    qx = abs(x) - half + radius
    qy = abs(y) - half + radius
    outside = math.hypot(max(qx, 0.0), max(qy, 0.0))
    return outside + min(max(qx, qy), 0.0) - radius


def _segment(x: float, y: float, ax: float, ay: float, bx: float, by: float) -> float:
    """Distance from (x, y) to the segment a-b."""
    dx, dy = bx - ax, by - ay
    t = max(0.0, min(1.0, ((x - ax) * dx + (y - ay) * dy) / (dx * dx + dy * dy)))
    return math.hypot(x - ax - t * dx, y - ay - t * dy)


def _mark(x: float, y: float) -> float:
    """Signed distance to the QI Hub mark, a bold "Q" (a ring and a tail to the lower right),
    in a frame where the mark spans about -1..1 around the origin."""
    ring = abs(math.hypot(x + 0.1, y + 0.1) - 0.64) - 0.17
    tail = _segment(x, y, 0.2, 0.2, 0.76, 0.76) - 0.17
    return min(ring, tail)


def _pixels(size: int) -> Iterator[tuple[float, float]]:
    """Each pixel's centre, in pixels, relative to the middle of the image."""
    middle = size / 2
    for row in range(size):
        for column in range(size):
            yield column + 0.5 - middle, row + 0.5 - middle


@functools.cache
def color_icon() -> bytes:
    """192×192, full colour: white mark on an NHS Blue rounded square."""
    size = COLOR_SIZE
    mark_half = size * 0.30  # the mark spans the middle 60%: inside Teams' safe area
    out = bytearray()
    for x, y in _pixels(size):
        background = _coverage(_rounded_square(x, y, size / 2, size * 0.18))
        mark = _coverage(_mark(x / mark_half, y / mark_half) * mark_half)
        out += bytes(round(c + (255 - c) * mark) for c in NHS_BLUE)
        out.append(round(255 * background))
    return _png(size, size, bytes(out))


@functools.cache
def outline_icon() -> bytes:
    """32×32: the mark in white on a fully transparent background (Teams allows nothing else:
    every pixel is white, only its opacity varies)."""
    size = OUTLINE_SIZE
    mark_half = size * 0.44
    out = bytearray()
    for x, y in _pixels(size):
        mark = _coverage(_mark(x / mark_half, y / mark_half) * mark_half)
        out += bytes((255, 255, 255, round(255 * mark)))
    return _png(size, size, bytes(out))


# ------------------------------------------------------------------------------------ the zip
def package_files(manifest: dict[str, Any]) -> dict[str, bytes]:
    """The package's files, by name: the manifest and both icons, all at the zip's root."""
    text = json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"
    return {
        "manifest.json": text.encode("utf-8"),
        COLOR_ICON: color_icon(),
        OUTLINE_ICON: outline_icon(),
    }


def write_package(manifest: dict[str, Any], out_path: str | os.PathLike[str]) -> Path:
    """Write the zip (atomically: a half-written package is never left behind)."""
    path = Path(out_path)
    if path.is_dir():
        raise ConfigError("--output", f"{path} is a directory; give a file name ending .zip")
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise ConfigError("--output", f"the folder {folder} does not exist")
    try:
        handle, temporary = tempfile.mkstemp(prefix=".qihub-teams-", suffix=".zip", dir=folder)
        try:
            with os.fdopen(handle, "wb") as stream, zipfile.ZipFile(stream, "w") as archive:
                for name, data in package_files(manifest).items():
                    info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
                    info.compress_type = zipfile.ZIP_DEFLATED
                    info.external_attr = 0o644 << 16
                    archive.writestr(info, data)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(
            "--output", f"cannot write {path}: {exc.strerror or exc.__class__.__name__}"
        ) from None
    return path


def build_package(
    settings: Settings,
    config: OrgConfig,
    registry: Registry,
    out_path: str | os.PathLike[str],
    *,
    base_url: str | None = None,
) -> Path:
    """Build the Teams app package and write it to `out_path`; returns the path written."""
    return write_package(teams_manifest(settings, config, registry, base_url=base_url), out_path)
