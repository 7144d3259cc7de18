"""`qihub teams package`: a Teams app package whose manifest is valid against Microsoft's schema,
whose command menus come from the registry, and whose icons are what Teams insists on."""

from __future__ import annotations

import dataclasses
import json
import os
import struct
import uuid
import zipfile
import zlib
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from bot.cli import main
from bot.settings import Settings
from bot.teams import package as teams_package
from handlers.catalogue import build_registry
from handlers.config import OrgConfig, load_config
from handlers.registry import Command, Registry, Subcommand
from tests.paths import schema

REPO = Path(__file__).resolve().parent.parent
SCHEMA = schema("MicrosoftTeams.schema.json")
VALIDATOR = jsonschema.Draft4Validator(SCHEMA)
OTHER_TRUST = REPO / "tests" / "data" / "other_trust.toml"
CLIENT_ID = "3f2a9c1e-7b4d-4e8a-9c2f-1a2b3c4d5e6f"
BASE = "https://qihub.example.nhs.uk"


# ------------------------------------------------------------------------------ helpers
def _errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(document)
    ]


def _settings(**values: Any) -> Settings:
    values.setdefault("teams_client_id", CLIENT_ID)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _menu(manifest: dict[str, Any], scope: str) -> list[str]:
    lists = manifest["bots"][0]["commandLists"]
    (entry,) = [e for e in lists if e["scopes"] == [scope]]
    return [c["title"] for c in entry["commands"]]


@dataclasses.dataclass(frozen=True)
class Image:
    width: int
    height: int
    pixels: list[tuple[int, int, int, int]]  # RGBA, row by row


def _decode_png(data: bytes) -> Image:
    """A small PNG reader (8-bit RGBA, any filter), checking every chunk's CRC."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    position, chunks = 8, []
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert zlib.crc32(kind + body) == crc, kind
        chunks.append((kind, body))
        position += 12 + length
    assert chunks[0][0] == b"IHDR" and chunks[-1][0] == b"IEND"
    width, height, depth, colour, compression, filtering, interlace = struct.unpack(
        ">IIBBBBB", chunks[0][1]
    )
    assert (depth, colour, compression, filtering, interlace) == (8, 6, 0, 0, 0)  # 8-bit RGBA
    raw = zlib.decompress(b"".join(body for kind, body in chunks if kind == b"IDAT"))
    stride = width * 4
    assert len(raw) == height * (stride + 1)
    rows: list[bytearray] = []
    previous = bytearray(stride)
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - 4] if i >= 4 else 0
            up = previous[i]
            corner = previous[i - 4] if i >= 4 else 0
            if kind == 1:
                row[i] = (row[i] + left) & 0xFF
            elif kind == 2:
                row[i] = (row[i] + up) & 0xFF
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                estimate = left + up - corner
                near = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - corner), 2, corner),
                )
                row[i] = (row[i] + near[2]) & 0xFF
            else:
                assert kind == 0
        rows.append(row)
        previous = row
    pixels = [
        (row[x], row[x + 1], row[x + 2], row[x + 3]) for row in rows for x in range(0, stride, 4)
    ]
    return Image(width, height, pixels)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env; the default output lands here
    for name in list(os.environ):
        if name.startswith(("QIHUB_", "SLACK_", "TEAMS_", "GRAPH_", "DATABASE_URL", "LOG_LEVEL")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def config() -> OrgConfig:
    return load_config(None)


@pytest.fixture(scope="module")
def registry(config: OrgConfig) -> Registry:
    return build_registry(config)


@pytest.fixture
def manifest(config: OrgConfig, registry: Registry) -> dict[str, Any]:
    return teams_package.teams_manifest(_settings(), config, registry, base_url=BASE)


# ------------------------------------------------------------------------------ the schema
def test_manifest_is_valid_against_microsofts_schema(manifest: dict[str, Any]) -> None:
    assert _errors(manifest) == []


def test_without_a_base_url_it_is_valid_too(config: OrgConfig, registry: Registry) -> None:
    document = teams_package.teams_manifest(_settings(), config, registry, base_url=None)
    assert _errors(document) == []
    assert "validDomains" not in document
    assert document["developer"]["websiteUrl"] == config.organisation.web_base_url


def test_the_validator_really_checks(manifest: dict[str, Any]) -> None:
    """A control: mistakes Teams would refuse are caught."""
    broken = json.loads(json.dumps(manifest))
    broken["name"]["short"] = "Q" * 31
    broken["bots"][0]["botId"] = "not-a-guid"
    broken["bots"][0]["commandLists"][0]["commands"] *= 2  # 24 > 12
    broken["description"]["short"] = "x" * 81
    assert len(_errors(broken)) == 4


def test_the_newest_manifest_version_the_schema_allows(manifest: dict[str, Any]) -> None:
    """draft-04 validators ignore `const`, so compare it by hand."""
    allowed = SCHEMA["properties"]["manifestVersion"]
    assert manifest["manifestVersion"] == allowed["const"] == teams_package.MANIFEST_VERSION
    assert manifest["$schema"].endswith(f"/v{allowed['const']}/MicrosoftTeams.schema.json")


def test_limits_match_the_schema() -> None:
    bot = SCHEMA["properties"]["bots"]["items"]["properties"]
    assert bot["commandLists"]["items"]["properties"]["commands"]["maxItems"] == (
        teams_package.MAX_COMMANDS
    )
    assert bot["commandLists"]["maxItems"] >= len(teams_package.BOT_SCOPES)
    developer = SCHEMA["properties"]["developer"]["properties"]
    assert developer["name"]["maxLength"] == teams_package.DEVELOPER_NAME_LIMIT


def test_the_parts_teams_shows(manifest: dict[str, Any]) -> None:
    assert manifest["name"]["short"] == "QI Hub"
    assert manifest["accentColor"] == "#005EB8"
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert len(manifest["description"]["short"]) <= 80
    assert "idea" in manifest["description"]["short"].lower()
    assert "lesson" in manifest["description"]["full"].lower()
    assert "patient-identifiable" in manifest["description"]["full"]
    assert manifest["developer"]["name"] == "Clatterbridge Cancer Centre"  # 32 at most
    assert manifest["developer"]["websiteUrl"] == BASE
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["validDomains"] == ["qihub.example.nhs.uk"]
    assert manifest["webApplicationInfo"] == {
        "id": CLIENT_ID,
        "resource": f"api://botid-{CLIENT_ID}",
    }
    (bot,) = manifest["bots"]
    assert bot["botId"] == CLIENT_ID
    assert bot["scopes"] == ["personal", "team", "groupChat"]
    assert bot["isNotificationOnly"] is False
    assert bot["supportsFiles"] is False


def test_settings_override_the_developer_details(config: OrgConfig, registry: Registry) -> None:
    settings = _settings(
        teams_developer_name="CCC Digital",
        teams_website_url="https://www.clatterbridgecc.nhs.uk/",
        teams_privacy_url="https://www.clatterbridgecc.nhs.uk/privacy",
        teams_terms_url="https://www.clatterbridgecc.nhs.uk/terms",
        teams_app_version="2.3.4",
    )
    document = teams_package.teams_manifest(settings, config, registry, base_url=BASE)
    assert document["developer"] == {
        "name": "CCC Digital",
        "websiteUrl": "https://www.clatterbridgecc.nhs.uk",
        "privacyUrl": "https://www.clatterbridgecc.nhs.uk/privacy",
        "termsOfUseUrl": "https://www.clatterbridgecc.nhs.uk/terms",
    }
    assert document["version"] == "2.3.4"
    assert _errors(document) == []


def test_another_trusts_name_is_shortened_to_fit() -> None:
    other = load_config(str(OTHER_TRUST))
    document = teams_package.teams_manifest(
        _settings(), other, build_registry(other), base_url=None
    )
    assert document["developer"]["name"] == "NCMH"  # "Northmoor Community and ..." is too long
    assert document["developer"]["privacyUrl"] == "https://qihub.northmoor.example"
    assert _errors(document) == []


# ------------------------------------------------------------------------------ ids
def test_the_app_id_is_stable_and_derived_from_the_bot_id(
    config: OrgConfig, registry: Registry
) -> None:
    first = teams_package.teams_manifest(_settings(), config, registry, base_url=BASE)
    again = teams_package.teams_manifest(_settings(), config, registry, base_url=None)
    assert first["id"] == again["id"] == str(uuid.uuid5(teams_package.APP_ID_NAMESPACE, CLIENT_ID))
    assert first["id"] != CLIENT_ID
    # Pinned: changing the namespace would make every trust's next upload a different app.
    assert first["id"] == "8cf09b95-b938-527b-b562-07712b327ba4"
    other = teams_package.teams_manifest(
        _settings(teams_client_id="00000000-0000-4000-8000-000000000001"),
        config,
        registry,
        base_url=BASE,
    )
    assert other["id"] != first["id"]
    upper = teams_package.teams_manifest(
        _settings(teams_client_id=CLIENT_ID.upper()), config, registry, base_url=BASE
    )
    assert upper["id"] == first["id"]


def test_teams_manifest_id_overrides_it_and_teams_app_id_does_not(
    config: OrgConfig, registry: Registry
) -> None:
    """TEAMS_APP_ID is the org catalogue's id for the uploaded app (bot.teams.install installs
    with it); it differs from the id inside the package, so it must not change the package."""
    derived = teams_package.teams_manifest(_settings(), config, registry, base_url=BASE)["id"]
    catalogue = teams_package.teams_manifest(
        _settings(teams_app_id="0b7e3c55-2f6a-4d1e-9a8b-7c6d5e4f3a2b"),
        config,
        registry,
        base_url=BASE,
    )
    assert catalogue["id"] == derived
    chosen = "1c8f4d66-3a7b-4e2f-8b9c-8d7e6f5a4b3c"
    document = teams_package.teams_manifest(
        _settings(teams_manifest_id=chosen.upper()), config, registry, base_url=BASE
    )
    assert document["id"] == chosen
    assert document["bots"][0]["botId"] == CLIENT_ID


def test_two_builds_are_byte_identical(
    config: OrgConfig, registry: Registry, tmp_path: Path
) -> None:
    one = teams_package.build_package(_settings(), config, registry, tmp_path / "one.zip")
    two = teams_package.build_package(_settings(), config, registry, tmp_path / "two.zip")
    assert one.read_bytes() == two.read_bytes()


# ------------------------------------------------------------------------------ commands
def test_command_menus_come_from_the_registry(manifest: dict[str, Any], registry: Registry) -> None:
    typed = {
        f"{command.name} {sub.name}".strip()
        for command in registry.commands.values()
        for sub in command.subcommands
    }
    lists = manifest["bots"][0]["commandLists"]
    assert [entry["scopes"] for entry in lists] == [["personal"], ["team"], ["groupChat"]]
    for entry in lists:
        titles = [c["title"] for c in entry["commands"]]
        assert 0 < len(titles) <= teams_package.MAX_COMMANDS
        assert len(set(titles)) == len(titles)
        assert set(titles) <= typed  # each title is something the user can type
        assert titles[0] == "qi help"  # the help entry always comes first
        assert {"idea", "lesson"} <= set(titles)
        for command in entry["commands"]:
            assert set(command) == {"title", "description"}
            assert 0 < len(command["description"]) <= teams_package.COMMAND_DESCRIPTION_LIMIT


def test_the_personal_menu(manifest: dict[str, Any]) -> None:
    assert _menu(manifest, "personal") == [
        "qi help",
        "idea",
        "lesson",
        "qi mine",
        "qi web",
        "idea bright",
        "idea big",
        "idea mine",
        "lesson mine",
        "qi show",
        "qi search",
        "idea status",
    ]


def test_team_and_group_chat_menus_leave_out_personal_records(manifest: dict[str, Any]) -> None:
    team = _menu(manifest, "team")
    assert team == _menu(manifest, "groupChat")
    assert not [title for title in team if title.split()[-1] in teams_package.PERSONAL_ONLY]
    assert {"qi search", "lesson list"} <= set(team)
    assert "qi" not in team  # the same handler as `qi help`, listed once


def test_descriptions_carry_the_arguments(manifest: dict[str, Any]) -> None:
    commands = {
        c["title"]: c["description"] for c in manifest["bots"][0]["commandLists"][0]["commands"]
    }
    assert commands["qi mine"] == "Your open actions, reddest first"
    assert commands["idea status"] == "Follow one idea: idea status <IDEA-… or receipt>"


def _unused(*_args: Any) -> Any:  # pragma: no cover - never dispatched
    raise AssertionError


def _with(registry: Registry, command: Command) -> Registry:
    others = {name: c for name, c in registry.commands.items() if name != command.name}
    extended = dataclasses.replace(registry, commands=others)
    extended.add_command(command)
    return extended


def test_a_new_registry_command_shows_up_in_the_menus(
    config: OrgConfig, registry: Registry
) -> None:
    extended = _with(
        registry,
        Command(
            name="alert",
            summary="Raise or acknowledge a critical alert",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/alert [title]",
                    summary="Raise an alert",
                    permission="qi.help",
                    handler=_unused,
                ),
                Subcommand(
                    name="ack",
                    usage="/alert ack <ALERT-…>",
                    summary="Acknowledge",
                    permission="alert.ack",
                    handler=_unused,
                ),
            ),
        ),
    )
    document = teams_package.teams_manifest(_settings(), config, extended, base_url=BASE)
    assert _errors(document) == []
    for scope in teams_package.BOT_SCOPES:
        titles = _menu(document, scope)
        assert len(titles) == teams_package.MAX_COMMANDS
        assert titles[:4] == ["qi help", "idea", "lesson", "alert"]  # bare commands come early
    personal = document["bots"][0]["commandLists"][0]["commands"]
    assert {"title": "alert", "description": "Raise an alert: alert [title]"} in personal


def test_a_help_command_is_preferred_and_small_registries_list_everything(
    config: OrgConfig,
) -> None:
    small = Registry()
    small.add_command(
        Command(
            name="lesson",
            summary="Lessons",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/lesson [title]",
                    summary="Share a lesson",
                    permission="lesson.submit",
                    handler=_unused,
                ),
                Subcommand(
                    name="mine",
                    usage="/lesson mine",
                    summary="Your lessons",
                    permission="lesson.view",
                    handler=_unused,
                ),
            ),
        )
    )
    small.add_command(
        Command(
            name="help",
            summary="Help",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/help",
                    summary="What you can do",
                    permission="qi.help",
                    handler=_unused,
                ),
            ),
        )
    )
    assert [e.title for e in teams_package.command_menu(small, config, "personal")] == [
        "help",
        "lesson",
        "lesson mine",
    ]
    assert [e.title for e in teams_package.command_menu(small, config, "team")] == [
        "help",
        "lesson",
    ]


# ------------------------------------------------------------------------------ the zip and icons
def test_the_zip_holds_the_manifest_and_both_icons_at_its_root(
    config: OrgConfig, registry: Registry, tmp_path: Path
) -> None:
    path = teams_package.build_package(
        _settings(), config, registry, tmp_path / "app.zip", base_url=BASE
    )
    assert path == tmp_path / "app.zip"
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(archive.read("manifest.json").decode("utf-8"))
        assert manifest == teams_package.teams_manifest(
            _settings(), config, registry, base_url=BASE
        )
        for icon in manifest["icons"].values():
            assert icon in archive.namelist()
    assert not list(tmp_path.glob(".qihub-teams-*"))  # no temporary file left behind


def test_the_colour_icon_is_192_square_and_full_colour() -> None:
    image = _decode_png(teams_package.color_icon())
    assert (image.width, image.height) == (192, 192)
    middle = image.pixels[96 * 192 + 20]  # inside the square, left of the mark
    assert middle == (0x00, 0x5E, 0xB8, 255)  # NHS Blue
    assert (255, 255, 255, 255) in image.pixels  # the white mark
    opaque = sum(1 for p in image.pixels if p[3] == 255)
    assert opaque > 0.9 * 192 * 192


def test_the_outline_icon_is_32_square_white_on_transparent() -> None:
    image = _decode_png(teams_package.outline_icon())
    assert (image.width, image.height) == (32, 32)
    assert {p[:3] for p in image.pixels} == {(255, 255, 255)}  # only white, ever
    for corner in (0, 31, 32 * 31, 32 * 32 - 1):
        assert image.pixels[corner][3] == 0
    transparent = sum(1 for p in image.pixels if p[3] == 0)
    solid = sum(1 for p in image.pixels if p[3] == 255)
    assert transparent > 0.5 * 32 * 32  # a transparent background
    assert solid > 0.1 * 32 * 32  # and a mark you can see


def test_the_png_reader_handles_other_filters() -> None:
    """A control for the decoder: the same pixels with Sub and Paeth filters."""
    pixels = bytes(range(2 * 2 * 4))
    raw = bytearray()
    for y, kind in enumerate((1, 4)):
        row = pixels[y * 8 : (y + 1) * 8]
        previous = pixels[(y - 1) * 8 : y * 8] if y else bytes(8)
        out = bytearray()
        for i in range(8):
            left = row[i - 4] if i >= 4 else 0
            up, corner = previous[i], previous[i - 4] if i >= 4 else 0
            if kind == 1:
                out.append((row[i] - left) & 0xFF)
            else:
                estimate = left + up - corner
                near = min(
                    (abs(estimate - left), 0, left),
                    (abs(estimate - up), 1, up),
                    (abs(estimate - corner), 2, corner),
                )
                out.append((row[i] - near[2]) & 0xFF)
        raw += bytes([kind]) + out

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    png = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(bytes(raw)))
        + chunk(b"IEND", b"")
    )
    image = _decode_png(png)
    assert bytes(b for p in image.pixels for b in p) == pixels


# ------------------------------------------------------------------------------ the CLI
def test_cli_builds_the_package(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEAMS_CLIENT_ID", CLIENT_ID)
    code, out, err = _run(capsys, "teams", "package", "--base-url", BASE)
    assert (code, err) == (0, "")
    path = tmp_path / "qihub-teams.zip"  # the default name, in the working directory
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        _decode_png(archive.read("color.png"))
        _decode_png(archive.read("outline.png"))
    assert _errors(manifest) == []
    assert f"Wrote {path.name}:" in out
    assert manifest["id"] in out
    assert f"bot id   {CLIENT_ID}" in out
    assert "16 in the command menus" in out
    assert "12 in the personal chat" in out
    assert "Manage apps > Upload new app" in out
    assert "TEAMS_PRIVACY_URL" in out  # the operator is told the links are defaults


def test_cli_output_file_and_settings(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TEAMS_CLIENT_ID", CLIENT_ID)
    monkeypatch.setenv("TEAMS_PRIVACY_URL", "https://www.example.nhs.uk/privacy")
    monkeypatch.setenv("TEAMS_TERMS_URL", "https://www.example.nhs.uk/terms")
    monkeypatch.setenv("QIHUB_CONFIG", str(OTHER_TRUST))
    target = tmp_path / "out" / "northmoor.zip"
    target.parent.mkdir()
    code, out, err = _run(capsys, "teams", "package", "-o", str(target))
    assert (code, err) == (0, "")  # the config's address is https: nothing to warn about
    assert "TEAMS_PRIVACY_URL" not in out
    assert "domain" not in out
    manifest = json.loads(zipfile.ZipFile(target).read("manifest.json"))
    assert manifest["developer"]["termsOfUseUrl"] == "https://www.example.nhs.uk/terms"
    assert "validDomains" not in manifest


def test_cli_warns_about_an_http_address_but_still_builds(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The bundled defaults point at http://localhost:3000: fine to look at, not to upload."""
    monkeypatch.setenv("TEAMS_CLIENT_ID", CLIENT_ID)
    code, _out, err = _run(capsys, "teams", "package")
    assert code == 0
    assert (tmp_path / "qihub-teams.zip").exists()
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("qihub: warning: http://localhost:3000 is not https")


def test_cli_without_teams_client_id_is_exit_2_and_one_sentence(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    code, out, err = _run(capsys, "teams", "package", "-o", "x.zip")
    assert code == 2
    assert out == ""
    assert err.endswith("\n") and err.count("\n") == 1
    assert err.startswith("qihub: TEAMS_CLIENT_ID is not set")
    assert "Traceback" not in err
    assert not (tmp_path / "x.zip").exists()


@pytest.mark.parametrize(
    ("argv", "environment", "starts"),
    [
        ((), {"TEAMS_CLIENT_ID": "my-bot"}, "qihub: environment: TEAMS_CLIENT_ID: 'my-bot' is not"),
        (
            (),
            {"TEAMS_MANIFEST_ID": "qihub"},
            "qihub: environment: TEAMS_MANIFEST_ID: 'qihub' is not a GUID",
        ),
        ((), {"TEAMS_APP_VERSION": "1.0"}, "qihub: environment: TEAMS_APP_VERSION: '1.0' is not"),
        ((), {"TEAMS_PRIVACY_URL": "intranet/privacy"}, "qihub: environment: TEAMS_PRIVACY_URL:"),
        (("--base-url", "qihub.example.nhs.uk"), {}, "qihub: --base-url: 'qihub.example.nhs.uk'"),
        (("--base-url", "ftp://qihub.example"), {}, "qihub: --base-url: "),
        (("-o", "missing/folder/app.zip"), {}, "qihub: --output: the folder missing/folder does"),
        (("-o", "."), {}, "qihub: --output: . is a directory"),
    ],
)
def test_cli_operator_mistakes_are_exit_2_and_one_line(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    argv: tuple[str, ...],
    environment: dict[str, str],
    starts: str,
) -> None:
    monkeypatch.setenv("TEAMS_CLIENT_ID", CLIENT_ID)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    code, out, err = _run(capsys, "teams", "package", *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert err.startswith(starts), err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("task", "missing"),
    [("sync-directory", "TEAMS_CLIENT_ID"), ("install-for-all", "TEAMS_APP_ID")],
)
def test_cli_graph_tasks_without_credentials_end_with_one_sentence(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    task: str,
    missing: str,
) -> None:
    """The real path through bot.teams.graph_tasks: with no app registration, exit 2 and a plain
    sentence naming what to set (tests/teams/test_graph.py drives a full sync)."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'qihub.db'}")
    code, out, err = _run(capsys, "teams", task)
    assert code == 2 and out == ""
    assert err.startswith("qihub: ") and missing in err
    assert len(err.strip().splitlines()) == 1


def test_cli_help_lists_the_teams_tasks(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["teams", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "package" in out
    assert "sync staff from Microsoft Graph (delta query)" in out
    assert "install QI Hub for every member of staff through Graph" in out
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "/api/messages" in out
    assert "later releases" not in out


def test_the_manifest_is_utf8_json(config: OrgConfig, registry: Registry) -> None:
    files = teams_package.package_files(
        teams_package.teams_manifest(_settings(), config, registry, base_url=BASE)
    )
    assert list(files) == ["manifest.json", "color.png", "outline.png"]
    text = files["manifest.json"].decode("utf-8")
    assert text.endswith("}\n")
    assert "…" in text  # written as UTF-8, not \\u escapes
