"""`qihub slack manifest`: the Slack app manifest (YAML) for exactly what QI Hub uses.

An admin pastes it into https://api.slack.com/apps -> Create New App -> From a manifest. Nothing
here is a second hand-kept list: the slash commands come from the registry (one per command,
its summary and its subcommands' usages), the event subscriptions from the listeners'
BOT_EVENTS, and the bot scopes from the Web API methods the Slack adapter calls plus those
events. Add a command to the registry and the manifest gains its slash command; call a new Web
API method and tests/test_slack_manifest.py fails until WEB_API_SCOPES says which scope it needs.

Schema: tests/schemas/slack-app-manifest.schema.json (manifest major version 1).
"""

from __future__ import annotations

from typing import Any

import yaml

from bot.slack.listeners import BOT_EVENTS
from bot.urls import web_address
from handlers.config import OrgConfig
from handlers.registry import Command, Registry

APP_NAME = "QI Hub"
EVENTS_PATH = "/slack/events"
"""Where `qihub web` serves every Slack request (bot.slack.app.mount)."""
BACKGROUND_COLOUR = "#005EB8"
"""NHS Blue, from the NHS identity guidelines."""
DESCRIPTION_LIMIT = 140
USAGE_HINT_LIMIT = 1000

# ------------------------------------------------------------------------------------ scopes
# Each Web API method bot/slack/ calls, with the bot-token scopes it needs. Checked against
# Slack's method and scope reference (docs.slack.dev/reference/methods/…, …/scopes/…):
WEB_API_SCOPES: dict[str, tuple[str, ...]] = {
    # auth.test (bot.slack.app.check_token, at start-up): no scope; any valid token may call it.
    "auth.test": (),
    # chat.postMessage: DMs, channel posts, replies to typed DMs. The chat:write scope page
    # lists chat.postMessage among its compatible methods. Posting with a user id as the
    # channel lands in the app's own DM (its Messages tab), so no im:write is needed; posting
    # in a channel needs the bot to be a member (invited), so no chat:write.public either.
    "chat.postMessage": ("chat:write",),
    # chat.update: a decision updates the message with the buttons in place (same scope page).
    "chat.update": ("chat:write",),
    # views.open: modals from a trigger_id. Method reference: "Scopes: No scopes required".
    "views.open": (),
    # views.publish: the App Home tab. No scope required either (the method's reference lists
    # none); it needs the Home tab enabled (features.app_home.home_tab_enabled) instead.
    "views.publish": (),
    # users.info (bot.slack.identity): the profile's email maps a Slack user to a staff
    # record. users:read for the method; since 2017 the email field is only returned with
    # users:read.email as well, which "must be requested at the same time as users:read".
    "users.info": ("users:read", "users:read.email"),
    # users.lookupByEmail (bot.slack.platform): reaching staff who never wrote to the bot.
    # The method reference: "Requires users:read.email".
    "users.lookupByEmail": ("users:read.email",),
}
# Replies through a slash command's or button's response_url (bolt's respond()) use the
# signed URL Slack sent with the request, not a token, so they need no scope.

EVENT_SCOPES: dict[str, tuple[str, ...]] = {
    # app_home_opened: no scope; the app needs a bot user and the Home tab.
    "app_home_opened": (),
    # message.im: typed commands in the app's DM. Required scope: im:history.
    "message.im": ("im:history",),
}
# app_rate_limited is deliberately not subscribed: Slack's reference says it "does not require
# a specific OAuth scope or subscription. You'll automatically receive it when your app's event
# subscriptions are rate limited". bot.slack.listeners registers a listener meant to log it.

COMMANDS_SCOPE = "commands"
"""Slash commands (and shortcuts) need the `commands` scope."""


def bot_events() -> list[str]:
    return list(BOT_EVENTS)


def bot_scopes(registry: Registry) -> list[str]:
    """The bot-token scopes: exactly those the calls, events and slash commands need."""
    scopes = {scope for needed in WEB_API_SCOPES.values() for scope in needed}
    for event in bot_events():
        if event not in EVENT_SCOPES:
            raise KeyError(f"bot.slack.manifest.EVENT_SCOPES does not say what {event!r} needs")
        scopes.update(EVENT_SCOPES[event])
    if registry.commands:
        scopes.add(COMMANDS_SCOPE)
    return sorted(scopes)


# ------------------------------------------------------------------------------------ URLs
def events_url(base_url: str) -> str:
    """`<base>/slack/events` for an http(s) base URL; ConfigError (exit 2) for anything else."""
    return web_address(base_url, "--url").rstrip("/") + EVENTS_PATH


# ------------------------------------------------------------------------------------ pieces
def _description(config: OrgConfig) -> str:
    """One line for the app's profile: what it is for, naming the trust when it fits."""
    what = "share ideas and lessons, follow the actions"
    generic = f"Quality improvement and learning: {what}"
    named = f"Quality improvement and learning at {config.organisation.name}: {what}"
    return named if len(named) <= DESCRIPTION_LIMIT else generic


LONG_DESCRIPTION = (
    "QI Hub supports the trust's Quality Improvement and Learning Strategy. Staff share Bright "
    "Ideas, Big Ideas and lessons from the chat tool they already use; the ideas panel "
    "decides each idea with a reason; each lesson reaches the right governance committee, "
    "which chooses a proportionate response from five tiers of action. Owners are reminded "
    "until the change is made and verified, committees get a weekly digest, and everyone can "
    "search what changed.\n\n"
    "Do not enter patient-identifiable information: free text that looks like an NHS number, "
    "a date of birth beside a name, or a hospital number is refused before anything is stored."
)


def _usage_hint(command: Command) -> str:
    """`[title] | mine | status <IDEA-… or receipt> | …`: the subcommands' usages, without
    the command itself (Slack shows the hint after it)."""
    prefix = f"/{command.name}"
    hints: list[str] = []
    for sub in command.subcommands:
        usage = sub.usage.strip()
        if usage.startswith(prefix):
            usage = usage[len(prefix) :].strip()
        if usage and usage not in hints:
            hints.append(usage)
    hint = " | ".join(hints)
    if len(hint) > USAGE_HINT_LIMIT:
        hint = hint[: USAGE_HINT_LIMIT - 1].rsplit(" | ", 1)[0] + " …"
    return hint


def _slash_command(command: Command, request_url: str | None) -> dict[str, Any]:
    entry: dict[str, Any] = {"command": f"/{command.name}"}
    if request_url is not None:
        entry["url"] = request_url
    entry["description"] = command.summary
    hint = _usage_hint(command)
    if hint:
        entry["usage_hint"] = hint
    # Text arrives as typed: the handlers read plain words and references, never mentions.
    entry["should_escape"] = False
    return entry


# ------------------------------------------------------------------------------------ manifest
def build_manifest(
    config: OrgConfig, registry: Registry, base_url: str, *, socket_mode: bool = False
) -> dict[str, Any]:
    """The manifest as data. In Socket Mode Slack delivers everything over the app's
    WebSocket and calls no URL of ours, so the request URLs are left out."""
    request_url = None if socket_mode else events_url(base_url)
    settings: dict[str, Any] = {}
    events: dict[str, Any] = {}
    interactivity: dict[str, Any] = {"is_enabled": True}
    if request_url is not None:
        events["request_url"] = request_url
        interactivity["request_url"] = request_url
    events["bot_events"] = bot_events()
    settings["event_subscriptions"] = events
    settings["interactivity"] = interactivity
    settings["org_deploy_enabled"] = False
    settings["socket_mode_enabled"] = socket_mode
    settings["token_rotation_enabled"] = False
    return {
        "_metadata": {"major_version": 1, "minor_version": 1},
        "display_information": {
            "name": APP_NAME,
            "description": _description(config),
            "background_color": BACKGROUND_COLOUR,
            "long_description": LONG_DESCRIPTION,
        },
        "features": {
            "app_home": {
                "home_tab_enabled": True,
                "messages_tab_enabled": True,
                "messages_tab_read_only_enabled": False,  # staff type commands in the DM
            },
            "bot_user": {"display_name": APP_NAME, "always_online": True},
            "slash_commands": [
                _slash_command(command, request_url) for command in registry.commands.values()
            ],
        },
        "oauth_config": {"scopes": {"bot": bot_scopes(registry)}},
        "settings": settings,
    }


def render(manifest: dict[str, Any]) -> str:
    header = (
        "# QI Hub Slack app manifest, generated by `qihub slack manifest`.\n"
        "# Paste it at https://api.slack.com/apps -> Create New App -> From a manifest.\n"
    )
    body: str = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True, width=100)
    return header + body


def manifest_text(
    config: OrgConfig, registry: Registry, base_url: str, *, socket_mode: bool = False
) -> str:
    return render(build_manifest(config, registry, base_url, socket_mode=socket_mode))
