"""`[notify]` in the organisation config: template ids are checked when the config loads (a
typo is named by its key), and `qihub config check` says what is set and warns when the key
and the templates do not go together."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.cli import main
from handlers.config import ConfigError, parse_config

SMS_ID = "6c9e0b7a-5e7f-4b1d-9d1f-2a4c5b6d7e8f"


def bundled(**notify: Any) -> dict[str, Any]:
    text = (resources.files("handlers") / "defaults" / "clatterbridge.toml").read_text("utf-8")
    data = tomllib.loads(text)
    data["notify"] = notify
    return data


def test_template_ids_are_checked_and_named_by_key() -> None:
    config = parse_config(bundled(sms_template_id=SMS_ID.upper()))
    assert config.notify.sms_template_id == SMS_ID
    with pytest.raises(ConfigError) as caught:
        parse_config(bundled(email_template_id="email-template"))
    assert caught.value.key == "notify.email_template_id"
    assert "not a template id" in caught.value.message
    with pytest.raises(ConfigError) as caught:
        parse_config(bundled(sms_template=SMS_ID))
    assert caught.value.key == "notify.sms_template"


def _write(tmp_path: Path, notify: str) -> Path:
    text = (resources.files("handlers") / "defaults" / "clatterbridge.toml").read_text("utf-8")
    file = tmp_path / "trust.toml"
    file.write_text(text + "\n[notify]\n" + notify, "utf-8")
    return file


def test_config_check_reports_notify_and_warns_when_key_and_templates_part(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_API_KEY", raising=False)
    with_templates = _write(tmp_path, f'sms_template_id = "{SMS_ID}"\n')
    assert main(["config", "check", str(with_templates)]) == 0
    out = capsys.readouterr().out
    assert f"GOV.UK Notify: text template {SMS_ID}; UK mobiles only" in out
    assert "NOTIFY_API_KEY is not set in this environment" in out

    key = "qihub-live-" + "1" * 8 + "-1111-1111-1111-" + "1" * 12 + "-" + SMS_ID
    monkeypatch.setenv("NOTIFY_API_KEY", key)
    assert main(["config", "check", str(with_templates)]) == 0
    out = capsys.readouterr().out
    assert "Warning" not in out and key not in out
    assert main(["config", "check"]) == 0  # the bundled config has no templates
    out = capsys.readouterr().out
    assert "GOV.UK Notify: no templates ([notify]): texts and emails are off" in out
    assert "NOTIFY_API_KEY is set but [notify] names no template" in out
