"""The organisation config and `qihub config check`.

Another trust adopts QI Hub by editing its config file alone, so a mistake in that file must
end in exit 2 and one plain line naming the key to fix, never a traceback; and a different,
valid file (tests/data/other_trust.toml) must really change what the bot says.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import pytest

from bot.cli import EXIT_USAGE, main
from handlers.config import ConfigError, OrgConfig, load_config
from tests.subprocesses import run_console

OTHER_TRUST = Path(__file__).resolve().parent / "data" / "other_trust.toml"
BUNDLED_TEXT = (resources.files("handlers") / "defaults" / "clatterbridge.toml").read_text("utf-8")


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run from an empty directory (no stray .env) with no settings from the outside."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "QIHUB_CONFIG", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


def altered(old: str, new: str) -> str:
    """The bundled file with one exact edit; fails loudly if the bundled file has changed."""
    assert BUNDLED_TEXT.count(old) == 1, f"{old!r} must occur exactly once in the bundled file"
    return BUNDLED_TEXT.replace(old, new)


CRITICAL = "remind_every_minutes = 30, default_deadline_hours = 24"
TEMPLATES = (
    '\n[notify]\nsms_template_id = "9f1c0d6e-6f1e-4c1a-9a57-3d2b8a1e0c11"\n'
    'email_template_id = "9f1c0d6e-6f1e-4c1a-9a57-3d2b8a1e0c12"\n'
)


def with_templates(text: str) -> str:
    """`text` with Notify templates (appended: a TOML table may come last)."""
    return text + TEMPLATES


# ---------------------------------------------------------------- the bundled config


def test_bundled_config_loads() -> None:
    config = load_config()
    assert config.organisation.name == "The Clatterbridge Cancer Centre NHS Foundation Trust"
    assert config.organisation.timezone == "Europe/London"
    assert set(config.committees) == {"PSC", "PEC", "CEC"}
    assert [t.number for t in config.tiers] == [1, 2, 3, 4, 5]
    assert config.tier(5).strength == "emergency"
    assert "ideas_panel" in config.channels
    assert config.lesson_sources["complaint"].committee == "PEC"
    assert config.lesson_sources["inspection"].committee is None  # "by domain"
    assert config.patient_data.hospital_number_pattern == r"\bCCC\d{7}\b"
    assert config.person("Kim.Jones@clatterbridge.example ") is not None


def test_config_check_summarises_the_bundled_file(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    lines = out.splitlines()
    assert lines[0] == "OK: bundled Clatterbridge defaults"
    assert "Organisation: The Clatterbridge Cancer Centre NHS Foundation Trust (CCC)" in lines
    assert "Committees (3):" in lines
    assert any(line.strip().startswith("PSC: Patient Safety Committee, chair ") for line in lines)
    assert any(line.startswith("Lesson sources (13): Complaint, PALS concern") for line in lines)
    assert any(
        line.startswith("Tiers: 1 Make a specific change once and re-audit (intermediate)")
        for line in lines
    )
    assert any(line.startswith("Channels: ideas_panel = #qi-ideas-panel") for line in lines)
    assert any(line.startswith("Roles: ideas_panel (2)") for line in lines)
    assert "People in the config directory: 13" in lines
    assert "Warning" not in out, "every permission the code defines is granted to someone"


def test_config_check_defaults_to_qihub_config(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIHUB_CONFIG", str(OTHER_TRUST))
    assert main(["config", "check"]) == 0
    out, _ = capsys.readouterr()
    assert out.startswith(f"OK: {OTHER_TRUST}\n")
    assert "Northmoor Community and Mental Health NHS Trust" in out


# ---------------------------------------------------------------- broken configs

BROKEN = [
    pytest.param(
        altered('members = ["chris.evans', 'memebrs = ["chris.evans'),
        "committees.PSC.memebrs: unknown key (check the spelling)",
        id="misspelt-key-in-committee",
    ),
    pytest.param(
        altered('chair = "helen.roberts', 'chiar = "helen.roberts'),
        "committees.PSC.chiar: unknown key (check the spelling)",
        id="misspelt-required-key-in-committee",
    ),
    pytest.param(
        altered('name = "The Clatterbridge Cancer Centre NHS Foundation Trust"\n', ""),
        "organisation.name: this key is required",
        id="missing-organisation-name",
    ),
    pytest.param(
        altered(
            'admin = ["nadia.khan@clatterbridge.example"]',
            'admin = ["nadia.khan-at-clatterbridge.example"]',
        ),
        "roles.admin[0]: ",
        id="invalid-email-in-roles",
    ),
    pytest.param(
        altered('channel = "pec"', 'channel = "pex"'),
        "committees.PEC.channel: channel 'pex' is not in [channels]",
        id="committee-channel-not-defined",
    ),
    pytest.param(
        altered(
            'complaint = { label = "Complaint", committee = "PEC" }',
            'complaint = { label = "Complaint", committee = "PXC" }',
        ),
        "lesson_sources.complaint.committee: committee 'PXC' is not in [committees]",
        id="lesson-source-unknown-committee",
    ),
    pytest.param(
        altered('timezone = "Europe/London"', 'timezone = "Europe/Londn"'),
        "organisation.timezone: ",
        id="unknown-time-zone",
    ),
    pytest.param(
        altered('"idea.decide" = ["ideas_panel"]', '"idea.decide" = ["idea_panel"]'),
        "permissions.idea.decide: role 'idea_panel' is not defined in [roles]",
        id="permission-for-undefined-role",
    ),
    pytest.param(
        altered('ideas_panel = { name = "qi-ideas-panel" }\n', ""),
        "channels.ideas_panel: this channel is required",
        id="ideas-panel-channel-removed",
    ),
    pytest.param(
        altered('channel = "bulletin"', 'channel = "all_staff"'),
        "bulletin.channel: the bulletin needs its own channel, not the critical-alerts channel",
        id="bulletin-in-the-alerts-channel",
    ),
    pytest.param(
        altered(
            'bulletin = { name = "learning-for-improvement" }',
            'bulletin = { name = "all-staff-alerts" }',
        ),
        "bulletin.channel: the bulletin needs its own channel, not the critical-alerts channel",
        id="bulletin-channel-named-as-the-alerts-channel",
    ),
    pytest.param(
        altered('bulletin = { name = "learning-for-improvement" }\n', ""),
        "bulletin.channel: channel 'bulletin' is not in [channels]",
        id="bulletin-channel-not-defined",
    ),
    pytest.param(
        altered("cancel_undo_days = 7", "cancel_undo_days = 0"),
        "actions.cancel_undo_days: ",
        id="cancel-undo-window-of-no-days",
    ),
    pytest.param(
        altered("cancel_undo_days = 7", "cancel_undo_days = 365"),
        "actions.cancel_undo_days: ",
        id="cancel-undo-window-of-a-year",
    ),
]


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_broken_config_is_one_line_naming_the_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    path = tmp_path / "trust.toml"
    path.write_text(text, "utf-8")
    assert main(["config", "check", str(path)]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == "", "nothing is reported as OK"
    assert err.startswith(f"qihub: {path}: {expected}")
    assert err.endswith("\n")
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_the_bulletin_has_its_own_channel_never_the_alerts(tmp_path: Path) -> None:
    """The bundled config posts the bulletin to its own channel; pointing it at the
    critical-alerts channel (by key or by the same channel name) is refused by the check."""
    bundled = load_config()
    assert bundled.bulletin.channel == "bulletin"
    assert bundled.channels["bulletin"].name != bundled.channels["all_staff"].name
    for text in (
        altered('channel = "bulletin"', 'channel = "all_staff"'),
        altered(
            'bulletin = { name = "learning-for-improvement" }',
            'bulletin = { name = "all-staff-alerts" }',
        ),
    ):
        path = tmp_path / "trust.toml"
        path.write_text(text, "utf-8")
        with pytest.raises(ConfigError) as raised:
            load_config(path)
        assert raised.value.key == "bulletin.channel"
        assert "not the critical-alerts channel" in str(raised.value)


@pytest.mark.parametrize(("text", "expected"), BROKEN)
def test_config_error_carries_the_dotted_key(tmp_path: Path, text: str, expected: str) -> None:
    """Code that loads the config (the app, the console) gets the key as data, not only text."""
    path = tmp_path / "trust.toml"
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == expected.split(": ", 1)[0]
    assert caught.value.source == str(path)


NOBODY_CAN_MOVE = [
    pytest.param(
        altered('governance_leads = ["priya.shah@clatterbridge.example"]', "governance_leads = []"),
        "committees.PEC.governance_leads: no governance lead, so nobody can triage this "
        "committee's lessons",
        id="committee-without-governance-lead",
    ),
    pytest.param(
        altered(
            'ideas_panel = ["sam.patel@clatterbridge.example", '
            '"jo.williams@clatterbridge.example"]',
            "ideas_panel = []",
        ),
        "roles.ideas_panel: nobody holds the ideas panel role, so no idea can be decided",
        id="empty-ideas-panel",
    ),
    pytest.param(
        altered('"lesson.triage" = [', '"lesson.traige" = ['),
        "permissions.lesson.traige: unknown permission (did you mean lesson.triage?)",
        id="unknown-permission-key",
    ),
    pytest.param(
        altered('"idea.list" = [', '"xyzzy" = ['),
        "permissions.xyzzy: unknown permission (no command, form or button uses it)",
        id="unknown-permission-key-far-from-any",
    ),
    pytest.param(
        altered(
            '[[tiers]]\nnumber = 3\nname = "Process review: simplify, automate or digitise"\n'
            'strength = "stronger"\nhelp = "Remove human steps from an error-prone process."\n',
            "",
        ),
        "tiers: tier 3 is missing (the five tiers are numbered 1 to 5)",
        id="missing-tier",
    ),
    pytest.param(
        altered("number = 4\n", "number = 2\n"),
        "tiers: tier 2 is defined 2 times",
        id="tier-repeated",
    ),
    pytest.param(
        altered(
            CRITICAL,
            CRITICAL + ', policy = [{ channel = "sms", after_minutes = 0, who = "no_chat" }]',
        ),
        "alert_severities.critical.policy[0].channel: sms needs [notify] sms_template_id "
        "(docs/notify.md)",
        id="policy-step-without-template",
    ),
    pytest.param(
        with_templates(
            altered(
                CRITICAL,
                CRITICAL + ", policy = ["
                '{ channel = "email", after_minutes = 30, who = "not_acked" }, '
                '{ channel = "sms", after_minutes = 15, who = "not_acked" }]',
            )
        ),
        "alert_severities.critical.policy[1].after_minutes: 15 comes before the step above it",
        id="policy-steps-out-of-order",
    ),
    pytest.param(
        with_templates(
            altered(
                CRITICAL,
                CRITICAL + ", policy = ["
                '{ channel = "sms", after_minutes = 1440, who = "not_acked" }]',
            )
        ),
        "alert_severities.critical.policy[0].after_minutes: 1440 minutes is not before the "
        "default deadline (24 hours), so it would never be sent",
        id="policy-step-after-deadline",
    ),
    pytest.param(
        with_templates(
            altered(
                CRITICAL,
                CRITICAL + ', policy = [{ channel = "sms", after_minutes = 0, who = "no_chat" }]',
            ).replace(
                "alert_policy_step = { urgent = true }", "alert_policy_step = { enabled = false }"
            )
        ),
        "reminders.alert_policy_step.enabled: cannot be switched off: the texts and emails of "
        "the severities' channel policies would never be sent",
        id="policy-rule-switched-off",
    ),
    pytest.param(
        altered("remind_every_minutes = 120, ", ""),
        "alert_severities.high.remind_every_minutes: missing or under 5, so unacknowledged "
        "alerts would not be re-notified; give the minutes between reminders (at least 5)",
        id="alert-severity-without-renotification",
    ),
    pytest.param(
        altered("remind_every_minutes = 30,", "remind_every_minutes = 0,"),
        "alert_severities.critical.remind_every_minutes: missing or under 5, so unacknowledged "
        "alerts would not be re-notified; give the minutes between reminders (at least 5)",
        id="alert-severity-renotifies-never",
    ),
    pytest.param(
        altered(
            "alert_not_acknowledged = { urgent = true }",
            "alert_not_acknowledged = { urgent = true, enabled = false }",
        ),
        "reminders.alert_not_acknowledged.enabled: cannot be switched off: critical alerts "
        "would not be re-notified to staff who have not acknowledged them",
        id="alert-reminders-off",
    ),
    pytest.param(
        altered(
            "alert_deadline_passed = { urgent = true }",
            "alert_deadline_passed = { urgent = true, enabled = false }",
        ),
        "reminders.alert_deadline_passed.enabled: cannot be switched off: critical alerts "
        "past their deadline would not be escalated to line managers",
        id="alert-escalation-off",
    ),
    pytest.param(
        altered(
            "alert_approval_pending = { urgent = true }",
            "alert_approval_pending = { urgent = true, enabled = false }",
        ),
        "reminders.alert_approval_pending.enabled: cannot be switched off: alerts awaiting "
        "approval would not be chased, nor their publisher told as the deadline nears",
        id="alert-approval-chase-off",
    ),
]


@pytest.mark.parametrize(("text", "expected"), NOBODY_CAN_MOVE)
def test_config_that_leaves_work_nobody_can_move_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, expected: str
) -> None:
    """Step 9: each of these would leave lessons, ideas or alerts that nobody can move on."""
    path = tmp_path / "trust.toml"
    path.write_text(text, "utf-8")
    assert main(["config", "check", str(path)]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"qihub: {path}: {expected}\n")


def test_unknown_time_zone_names_the_zone(tmp_path: Path) -> None:
    path = tmp_path / "trust.toml"
    path.write_text(altered('timezone = "Europe/London"', 'timezone = "Europe/Londn"'), "utf-8")
    with pytest.raises(ConfigError, match="unknown time zone 'Europe/Londn'"):
        load_config(path)


def test_invalid_email_is_quoted(tmp_path: Path) -> None:
    path = tmp_path / "trust.toml"
    text = altered('audit_lead = ["lee.hughes@', 'audit_lead = ["lee.hughes at ')
    path.write_text(text, "utf-8")
    with pytest.raises(ConfigError, match=r"roles\.audit_lead\[0\]: .*is not an email address"):
        load_config(path)


def test_invalid_toml_syntax(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trust.toml"
    path.write_text(altered("[quiet_hours]", "[quiet_hours"), "utf-8")
    line = BUNDLED_TEXT.splitlines().index("[quiet_hours]") + 1
    assert main(["config", "check", str(path)]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith(f"qihub: {path}: not valid TOML (")
    assert f"line {line}" in err
    assert err.count("\n") == 1
    assert "Traceback" not in err


def test_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "nowhere.toml"
    assert main(["config", "check", str(path)]) == EXIT_USAGE
    out, err = capsys.readouterr()
    assert (out, err) == ("", f"qihub: {path}: file not found\n")


def test_directory_instead_of_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(tmp_path)]) == EXIT_USAGE
    _, err = capsys.readouterr()
    assert err.startswith(f"qihub: {tmp_path}: cannot be read")
    assert err.count("\n") == 1


def test_file_that_is_not_utf8(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "trust.toml"
    text = altered('name = "Kim Jones"', 'name = "Kim Jonés"')
    path.write_bytes(text.encode("cp1252"))
    assert main(["config", "check", str(path)]) == EXIT_USAGE
    _, err = capsys.readouterr()
    assert err.startswith(f"qihub: {path}: ")
    assert err.count("\n") == 1


# ---------------------------------------------------------------- another trust


@pytest.fixture(scope="module")
def other() -> OrgConfig:
    return load_config(OTHER_TRUST)


def test_other_trust_validates(other: OrgConfig) -> None:
    assert other.organisation.name == "Northmoor Community and Mental Health NHS Trust"
    assert "ideas_panel" in other.channels
    assert [t.number for t in other.tiers] == [1, 2, 3, 4, 5]
    assert len(other.people) >= 3
    assert other.roles["ideas_panel"]
    assert set(other.committees).isdisjoint(load_config().committees)


def test_other_trust_grants_the_same_permissions(other: OrgConfig) -> None:
    """A trust that drops a permission silently denies it to everyone; this one keeps them all."""
    assert other.permissions == load_config().permissions


def test_other_trust_passes_config_check(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["config", "check", str(OTHER_TRUST)]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert "Organisation: Northmoor Community and Mental Health NHS Trust (NCMH)" in out
    assert "Committees (2):" in out
    assert "quiet hours 21:00-07:30" in out
    assert "People in the config directory: 5" in out
    assert "Warning" not in out


@pytest.mark.slow
def test_console_uses_the_config_named_by_qihub_config(tmp_path: Path) -> None:
    """QIHUB_CONFIG alone switches the trust: its name and people, none of Clatterbridge's."""
    result = run_console("/who\n/quit\n", tmp_path, QIHUB_CONFIG=str(OTHER_TRUST))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "QI Hub console · Northmoor Community and Mental Health NHS Trust" in out
    assert "You are Grace Whitfield <grace.whitfield@northmoor.example>" in out
    for name in ("Amira Hassan", "Bea Lund", "Femi Adeyemi", "Grace Whitfield", "Owen Price"):
        assert name in out
    assert "femi.adeyemi@northmoor.example · committee member, governance lead, ideas panel" in (
        out
    )
    assert "Clatterbridge" not in out
    assert "clatterbridge.example" not in out
    assert out.rstrip().endswith("Goodbye.")


def test_reminder_rules_not_in_the_file_take_the_domain_defaults() -> None:
    """A trust that leaves out [reminders] still chases its actions (docs/domain.md's table)."""
    import tomllib

    from handlers.config import parse_config

    data = tomllib.loads(OTHER_TRUST.read_text())
    data.pop("reminders", None)
    rules = parse_config(data).reminders
    assert rules["action_due_soon"].days_before == [14, 3]
    assert rules["lesson_not_triaged"].working_days == 5
    assert all(rule.enabled for rule in rules.values())
    data["reminders"] = {"action_overdue": {"enabled": False}}
    assert parse_config(data).reminders["action_overdue"].enabled is False


def test_a_misspelt_reminder_rule_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(BUNDLED_TEXT.replace("action_overdue = {", "action_overdu = {"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "unknown reminder rule 'action_overdu'" in str(caught.value)


DOCUMENTED_REMINDERS = {
    "action_due_soon": {"days_before": [14, 3]},
    "action_overdue": {"days_after": [1]},
    "action_overdue_escalated": {"days_after": [7]},
    "action_long_overdue": {"days_after": [30]},
    "completion_not_verified": {"working_days": 10},
    "reaudit_due": {"days_before": [7, 0]},
    "action_not_accepted": {"days_after": [3]},
    "action_not_accepted_escalated": {"days_after": [7]},
    "lesson_not_triaged": {"working_days": 5},
    "idea_not_screened": {"working_days": 10},
    "idea_not_decided": {"working_days": 30},
    "bulletin_draft": {"days_before": [10]},
    "tier5": {"urgent": True},
    "alert_not_acknowledged": {"urgent": True},
    "alert_deadline_passed": {"urgent": True},
    "alert_approval_pending": {"urgent": True},
    "alert_policy_step": {"urgent": True},
    "committee_digest": {},
}
"""The README's reminder table, written out by hand here on purpose: a test that read the
numbers from handlers.config would agree with whatever the code says."""


def test_a_rule_enabled_without_numbers_gets_exactly_the_documented_default() -> None:
    """A trust once enabled idea_not_decided without a number and got 10 working days, not 30:
    every rule, enabled with no timing keys (or empty ones), gets the README's numbers, in the
    config the rules read and in the benchmark's reading of it."""
    import tomllib

    from bench.data import _Thresholds
    from handlers.config import Rule, parse_config

    data = tomllib.loads(OTHER_TRUST.read_text())
    for given in ({"enabled": True}, {"enabled": True, "days_before": [], "days_after": []}):
        data["reminders"] = {name: dict(given) for name in DOCUMENTED_REMINDERS}
        rules = parse_config(data).reminders
        assert set(rules) == set(DOCUMENTED_REMINDERS)
        for name, documented in DOCUMENTED_REMINDERS.items():
            expected = Rule.model_validate(documented)
            assert rules[name] == expected, name
        thresholds = _Thresholds.of(parse_config(data))
        assert (thresholds.screen_wd, thresholds.decide_wd) == (10, 30)
        assert (thresholds.completion_wd, thresholds.triage_wd) == (10, 5)
        assert (thresholds.soon, thresholds.reaudit) == ((3, 14), (0, 7))
        assert (thresholds.overdue, thresholds.escalated) == ((1,), (7,))
    data["reminders"] = {"idea_not_decided": {"working_days": 25}}
    assert parse_config(data).reminders["idea_not_decided"].counted_working_days() == 25


def test_permissions_checked_in_handlers_are_really_checked_there() -> None:
    """Config check accepts these keys without a command behind them; each must be in use."""
    from handlers.registry import CHECKED_IN_HANDLERS

    root = Path(__file__).resolve().parent.parent / "handlers"
    code = "".join(p.read_text("utf-8") for p in root.rglob("*.py") if p.name != "registry.py")
    for permission in CHECKED_IN_HANDLERS:
        assert f'"{permission}"' in code, permission
