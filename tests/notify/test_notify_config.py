"""`[notify]` in the organisation config: template ids are checked when the config loads (a
typo is named by its key), and `qihub config check` says what is set and warns when the key
and the templates do not go together. NOTIFY_RECEIPTS chooses the callback route, the clock's
receipt poll, or both."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from bot.app import create_app
from bot.cli import main
from bot.clock import clock_jobs
from bot.settings import Settings
from bot.web import create_web_app
from handlers.clock import ManualClock
from handlers.config import ConfigError, OrgConfig, parse_config
from handlers.leadership import Leadership

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


KEY = "qihub-live-" + "1" * 8 + "-1111-1111-1111-" + "1" * 12 + "-" + SMS_ID
TOKEN = "receipts-token-0123456789"


@pytest.mark.parametrize(
    ("given", "token", "mode", "route", "poll"),
    [
        (None, TOKEN, "callback", True, False),  # the default with a token: the callback
        (None, None, "polling", False, True),  # the default without one: polling
        ("polling", TOKEN, "polling", False, True),  # polling only: no route even with a token
        ("both", TOKEN, "both", True, True),
    ],
)
def test_receipts_mode_chooses_the_callback_route_and_the_clock_poll(
    db_url: str,
    clock: ManualClock,
    config: OrgConfig,
    given: str | None,
    token: str | None,
    mode: str,
    route: bool,
    poll: bool,
) -> None:
    settings = Settings(
        database_url=db_url,
        notify_api_key=KEY,  # type: ignore[arg-type]
        notify_callback_token=token,  # type: ignore[arg-type]
        notify_receipts=given,  # type: ignore[arg-type]
        _env_file=None,  # type: ignore[call-arg]
    )
    assert settings.receipts_mode() == mode
    hub = create_app(settings, clock=clock, config=config)
    try:
        paths = {getattr(r, "path", "") for r in create_web_app(hub).routes}
        jobs = [job.id for job in clock_jobs(hub, Leadership(hub.uow_factory, clock, "c"))]
    finally:
        hub.engine.dispose()
    assert ("/notify/callback" in paths) is route
    assert ("notify-receipts" in jobs) is poll


def test_a_callback_mode_without_its_token_is_refused_in_one_sentence(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NOTIFY_CALLBACK_TOKEN", raising=False)
    monkeypatch.setenv("NOTIFY_RECEIPTS", "both")
    assert main(["config", "check"]) == 2
    err = capsys.readouterr().err
    assert "NOTIFY_RECEIPTS=both needs NOTIFY_CALLBACK_TOKEN" in err and "Traceback" not in err
    monkeypatch.setenv("NOTIFY_RECEIPTS", "sometimes")
    assert main(["config", "check"]) == 2
    assert "NOTIFY_RECEIPTS" in capsys.readouterr().err
