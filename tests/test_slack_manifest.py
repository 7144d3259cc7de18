"""`qihub slack manifest`: valid against Slack's published schema, and declaring exactly the
commands, events, scopes and URLs the Slack adapter uses."""

from __future__ import annotations

import ast
import dataclasses
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import referencing
import yaml
from referencing import Resource
from referencing.jsonschema import DRAFT7
from slack_sdk import WebClient
from slack_sdk.web.base_client import BaseClient

from bot.cli import main
from bot.slack import manifest as slack_manifest
from bot.slack.listeners import BOT_EVENTS
from handlers.catalogue import build_registry
from handlers.config import OrgConfig, load_config
from handlers.registry import Command, Registry, Subcommand
from tests.paths import schema

REPO = Path(__file__).resolve().parent.parent
SCHEMA_BASE = "https://raw.githubusercontent.com/slackapi/manifest-schema/v0.5.0/schemas/"
OTHER_TRUST = REPO / "tests" / "data" / "other_trust.toml"
BASE = "https://qihub.example.nhs.uk"


# ------------------------------------------------------------------------------ helpers
def _validator() -> jsonschema.Draft7Validator:
    """The all-versions schema, its remote $refs served from the local v1/v2 copies."""
    top = schema("slack-app-manifest.schema.json")
    resources = [
        (
            SCHEMA_BASE + f"manifest.schema.{version}.json",
            Resource.from_contents(
                schema(f"slack-app-manifest.schema.{version}.json"),
                default_specification=DRAFT7,
            ),
        )
        for version in ("1.0.0", "2.0.0")
    ]
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(resources)
    return jsonschema.Draft7Validator(top, registry=registry)


VALIDATOR = _validator()


def _errors(document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
        for e in VALIDATOR.iter_errors(document)
    ]


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _urls(document: Any) -> list[str]:
    """Every URL-valued entry anywhere in the manifest."""
    found: list[str] = []
    if isinstance(document, dict):
        for key, value in document.items():
            if key in ("url", "request_url") and isinstance(value, str):
                found.append(value)
            found.extend(_urls(value))
    elif isinstance(document, list):
        for item in document:
            found.extend(_urls(item))
    return found


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in list(os.environ):
        if name.startswith(("QIHUB_", "SLACK_", "DATABASE_URL", "LOG_LEVEL")):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def config() -> OrgConfig:
    return load_config(None)


@pytest.fixture(scope="module")
def registry(config: OrgConfig) -> Registry:
    return build_registry(config)


@pytest.fixture
def http_manifest(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = _run(capsys, "slack", "manifest", "--url", BASE)
    assert code == 0, err
    assert err == ""  # https: nothing to warn about
    document: dict[str, Any] = yaml.safe_load(out)
    return document


@pytest.fixture
def socket_manifest(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    code, out, err = _run(capsys, "slack", "manifest", "--socket-mode")
    assert code == 0, err
    assert err == ""  # no URL is used, so an http default is nothing to warn about
    document: dict[str, Any] = yaml.safe_load(out)
    return document


# ------------------------------------------------------------------------------ the schema
def test_manifest_is_valid_against_slacks_schema(http_manifest: dict[str, Any]) -> None:
    assert _errors(http_manifest) == []


def test_socket_mode_manifest_is_valid_too(socket_manifest: dict[str, Any]) -> None:
    assert _errors(socket_manifest) == []


def test_the_validator_really_checks_the_v1_schema(http_manifest: dict[str, Any]) -> None:
    """A control: the remote $refs resolved to the local files, so mistakes are caught."""
    broken = json.loads(json.dumps(http_manifest))
    broken["features"]["slash_commands"][0]["command"] = "idea"  # must start with "/"
    broken["settings"]["socket_mode"] = True  # not a key Slack knows
    broken["display_information"]["name"] = "Q" * 36  # 35 at most
    assert len(_errors(broken)) >= 1
    assert not VALIDATOR.is_valid(broken)


def test_fields_the_schema_leaves_unchecked(http_manifest: dict[str, Any]) -> None:
    """The schema spells background_color's pattern as "regex", which validators ignore."""
    display = http_manifest["display_information"]
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", display["background_color"])
    assert display["name"] == "QI Hub"
    assert "\n" not in display["description"]
    assert len(display["description"]) <= 140
    for command in http_manifest["features"]["slash_commands"]:
        assert len(command["description"]) <= 100  # what Slack's own settings page accepts


# ------------------------------------------------------------------------------ commands
def test_one_slash_command_per_registry_command(
    http_manifest: dict[str, Any], registry: Registry
) -> None:
    commands = {c["command"]: c for c in http_manifest["features"]["slash_commands"]}
    assert set(commands) == {f"/{name}" for name in registry.commands}
    assert {"/idea", "/lesson", "/qi"} <= set(commands)
    for name, command in registry.commands.items():
        entry = commands[f"/{name}"]
        assert entry["description"] == command.summary
        assert entry["should_escape"] is False
        for sub in command.subcommands:
            arguments = sub.usage.removeprefix(f"/{name}").strip()
            if arguments:
                assert arguments in entry["usage_hint"], (name, arguments)


def test_a_new_registry_command_becomes_a_slash_command(
    config: OrgConfig, registry: Registry
) -> None:
    others = {name: c for name, c in registry.commands.items() if name != "alert"}
    extended = dataclasses.replace(registry, commands=others)
    extended.add_command(
        Command(
            name="alert",
            summary="Raise or acknowledge a critical alert",
            subcommands=(
                Subcommand(
                    name="",
                    usage="/alert [title]",
                    summary="Raise an alert",
                    permission="alert.raise",
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
        )
    )
    document = slack_manifest.build_manifest(config, extended, BASE)
    added = next(c for c in document["features"]["slash_commands"] if c["command"] == "/alert")
    assert added == {
        "command": "/alert",
        "url": BASE + "/slack/events",
        "description": "Raise or acknowledge a critical alert",
        "usage_hint": "[title] | ack <ALERT-…>",
        "should_escape": False,
    }
    assert _errors(document) == []


def _unused(*_args: Any) -> Any:  # pragma: no cover - never dispatched
    raise AssertionError


# ------------------------------------------------------------------------------ URLs
def test_every_request_url_is_the_events_endpoint(http_manifest: dict[str, Any]) -> None:
    urls = _urls(http_manifest)
    # each slash command, interactivity and the event subscriptions
    assert len(urls) == len(http_manifest["features"]["slash_commands"]) + 2
    assert set(urls) == {BASE + "/slack/events"}
    settings = http_manifest["settings"]
    assert settings["interactivity"]["is_enabled"] is True
    assert settings["socket_mode_enabled"] is False


def test_socket_mode_leaves_out_every_request_url(socket_manifest: dict[str, Any]) -> None:
    assert _urls(socket_manifest) == []
    settings = socket_manifest["settings"]
    assert settings["socket_mode_enabled"] is True
    assert settings["interactivity"] == {"is_enabled": True}
    assert settings["event_subscriptions"]["bot_events"] == list(BOT_EVENTS)


def test_base_url_defaults_to_the_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIHUB_CONFIG", str(OTHER_TRUST))
    code, out, err = _run(capsys, "slack", "manifest")
    assert code == 0, err
    assert err == ""
    document = yaml.safe_load(out)
    assert set(_urls(document)) == {"https://qihub.northmoor.example/slack/events"}
    assert "Northmoor" in document["display_information"]["description"]
    assert _errors(document) == []


def test_trailing_slash_and_path_prefix_are_kept_tidy(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "slack", "manifest", "--url", "https://nhs.example/qihub/")
    assert code == 0
    assert set(_urls(yaml.safe_load(out))) == {"https://nhs.example/qihub/slack/events"}


def test_http_base_url_warns_on_stderr_but_still_prints(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The bundled defaults point at localhost over http: fine to read, not to install."""
    code, out, err = _run(capsys, "slack", "manifest")
    assert code == 0
    assert _errors(yaml.safe_load(out)) == []
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("qihub: warning: http://localhost:3000/slack/events is not https")
    assert "organisation.web_base_url" in err


@pytest.mark.parametrize(
    "bad",
    [
        "ftp://qihub.example",
        "qihub.example.nhs.uk",
        "https://",
        "https://x y.example",
        "",
        "https://qihub.example/?a=1",
        "https://qihub.example:99999",
        "https://user:pw@qihub.example",
    ],
)
def test_a_bad_url_is_exit_2_and_one_line(capsys: pytest.CaptureFixture[str], bad: str) -> None:
    code, out, err = _run(capsys, "slack", "manifest", "--url", bad)
    assert code == 2
    assert out == ""
    assert len(err.strip().splitlines()) == 1
    assert err.startswith("qihub: --url: ")
    assert "Traceback" not in err


# ------------------------------------------------------------------------------ events, scopes
def test_bot_events_are_exactly_the_listeners_subscriptions(
    http_manifest: dict[str, Any],
) -> None:
    events = http_manifest["settings"]["event_subscriptions"]["bot_events"]
    assert events == list(BOT_EVENTS) == ["app_home_opened", "message.im"]
    # Slack sends app_rate_limited unasked; subscribing to it is neither needed nor allowed.
    assert "app_rate_limited" not in events


def test_bot_scopes_are_exactly_what_the_calls_and_events_need(
    http_manifest: dict[str, Any],
) -> None:
    assert http_manifest["oauth_config"]["scopes"] == {
        "bot": ["chat:write", "commands", "im:history", "users:read", "users:read.email"]
    }


def _web_api_methods_called() -> set[str]:
    """Every Slack Web API method named in bot/slack/: `client.users_info(...)` and
    `self._call("chat_postMessage", ...)` alike, as Slack spells them (users.info)."""
    api_methods = {
        name
        for name in set(dir(WebClient)) - set(dir(BaseClient))
        if not name.startswith("_") and callable(getattr(WebClient, name))
    }
    found: set[str] = set()
    for source in (REPO / "bot" / "slack").glob("*.py"):
        for node in ast.walk(ast.parse(source.read_text())):
            name = None
            if isinstance(node, ast.Attribute):
                name = node.attr
            elif isinstance(node, ast.Constant) and isinstance(node.value, str):
                name = node.value
            if name in api_methods:
                found.add(name.replace("_", "."))
    return found


def test_every_web_api_method_the_adapter_calls_has_its_scopes_declared() -> None:
    """Call a new Web API method and this fails until WEB_API_SCOPES says what it needs."""
    called = _web_api_methods_called()
    assert {"chat.postMessage", "views.open", "users.info"} <= called  # the scan works
    assert called == set(slack_manifest.WEB_API_SCOPES)
    assert set(BOT_EVENTS) == set(slack_manifest.EVENT_SCOPES)


def test_yaml_round_trips_to_the_same_data(config: OrgConfig, registry: Registry) -> None:
    document = slack_manifest.build_manifest(config, registry, BASE)
    text = slack_manifest.render(document)
    assert text.startswith("# QI Hub Slack app manifest")
    assert yaml.safe_load(text) == document


# ------------------------------------------------------------------------------ a real process
def test_python_m_bot_slack_manifest(tmp_path: Path) -> None:
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("QIHUB_", "DATABASE_URL", "SLACK_", "TEAMS_", "LOG_LEVEL"))
    }
    environment["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "slack", "manifest", "--url", BASE],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    document = yaml.safe_load(result.stdout)
    assert _errors(document) == []
    assert not (tmp_path / "qihub.db").exists()  # printing a manifest touches no database
