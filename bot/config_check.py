"""`qihub config check`: validate an organisation config and say what it defines."""

from __future__ import annotations

import difflib
from typing import TextIO

from handlers.catalogue import build_registry
from handlers.config import ConfigError, OrgConfig, load_config
from messages.templates import counted


def summarise(config: OrgConfig) -> list[str]:
    lines = [
        f"Organisation: {config.organisation.name} ({config.organisation.short_name})",
        f"Time zone: {config.organisation.timezone}; bank holidays: "
        f"{config.organisation.bank_holidays}; quiet hours {config.quiet_hours.start}"
        f"-{config.quiet_hours.end}",
    ]
    lines.append(f"Committees ({len(config.committees)}):")
    for code, committee in config.committees.items():
        lines.append(
            f"  {code}: {committee.name}, chair {committee.chair}, "
            f"{counted(len(committee.members), 'member')}, "
            f"channel #{config.channels[committee.channel].name}, "
            f"digest {committee.digest.weekday} {committee.digest.time}"
        )
    lines.append(
        f"Lesson sources ({len(config.lesson_sources)}): "
        + ", ".join(s.label for s in config.lesson_sources.values())
    )
    lines.append("Tiers: " + "; ".join(f"{t.number} {t.name} ({t.strength})" for t in config.tiers))
    lines.append(
        f"Sites ({len(config.sites)}), departments ({len(config.departments)}), "
        f"processes ({len(config.processes)}), SRGs ({len(config.srgs)})"
    )
    lines.append("Channels: " + ", ".join(f"{k} = #{c.name}" for k, c in config.channels.items()))
    lines.append("Roles: " + ", ".join(f"{r} ({len(m)})" for r, m in config.roles.items()))
    lines.append(
        "Reminder rules: "
        + ", ".join(k + ("" if r.enabled else " (off)") for k, r in config.reminders.items())
    )
    mobiles = sum(1 for p in config.people if p.mobile)
    lines.append(
        f"People in the config directory: {len(config.people)}"
        + (f" ({mobiles} with a mobile number)" if mobiles else "")
    )
    lines.append(notify_line(config))
    return lines


def notify_line(config: OrgConfig) -> str:
    notify = config.notify
    templates = [
        f"{what} template {value}"
        for what, value in (("text", notify.sms_template_id), ("email", notify.email_template_id))
        if value
    ]
    if not templates:
        return "GOV.UK Notify: no templates ([notify]): texts and emails are off"
    where = "UK and international mobiles" if notify.allow_international else "UK mobiles only"
    return f"GOV.UK Notify: {', '.join(templates)}; {where}"


def notify_warnings(config: OrgConfig, key_set: bool) -> list[str]:
    """The key and the templates go together: one without the other sends nothing."""
    templates = config.notify.sms_template_id or config.notify.email_template_id
    if key_set and not templates:
        return [
            "Warning: NOTIFY_API_KEY is set but [notify] names no template, so no text or "
            "email can be sent (docs/notify.md)"
        ]
    if templates and not key_set:
        return [
            "Warning: [notify] names templates but NOTIFY_API_KEY is not set in this "
            "environment, so texts and emails are off here"
        ]
    return []


def check_permission_keys(config: OrgConfig, known: set[str], source: str) -> None:
    """A permission no command, form or button asks for is a typo: the one meant is denied."""
    for key in config.permissions:
        if key not in known:
            close = difflib.get_close_matches(key, sorted(known), n=1)
            hint = f"did you mean {close[0]}?" if close else "no command, form or button uses it"
            raise ConfigError(f"permissions.{key}", f"unknown permission ({hint})", source)


def check_config(path: str | None, out: TextIO, *, notify_key_set: bool = False) -> int:
    """Print a summary and return 0, or raise ConfigError (the CLI turns it into exit 2)."""
    config = load_config(path)
    known = build_registry(config).permissions()
    check_permission_keys(config, known, path or "bundled clatterbridge.toml")
    out.write(f"OK: {path or 'bundled Clatterbridge defaults'}\n")
    for line in summarise(config):
        out.write(line + "\n")
    for warning in notify_warnings(config, notify_key_set):
        out.write(warning + "\n")
    missing = sorted(known - set(config.permissions))
    if missing:
        out.write(
            "Warning: these permissions are granted to nobody, so they are denied to "
            "everyone: " + ", ".join(missing) + "\n"
        )
    return 0
