"""`qihub notify check` (issue 15): the configured templates asked of the fake Notify over HTTP
through the official client's `get_template`, one plain line each; exit 1 when any is missing,
of the wrong type, uses a field QI Hub does not fill or lacks the acknowledgement link; the key
never printed."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

import pytest

from bot.cli import main
from tests.notify.fake_notify import FakeNotify

SMS = "((org)) ((reminder))critical alert ((ref)): ((title))\nRead and acknowledge: ((ack_url))"
EMAIL = "((severity)): ((title))\n\n((instructions))\n\nAcknowledge by ((deadline)): ((ack_url))"
SUBJECT = "((reminder))Critical alert ((ref)): ((title))"


@pytest.fixture
def notify() -> Iterator[FakeNotify]:
    fake = FakeNotify()
    fake.start()
    yield fake
    fake.stop()


def check(
    notify: FakeNotify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    *,
    sms: str | None,
    email: str | None,
    key: str | None = None,
) -> tuple[int, str]:
    text = (resources.files("handlers") / "defaults" / "clatterbridge.toml").read_text("utf-8")
    lines = [f'{k} = "{v}"' for k, v in (("sms_template_id", sms), ("email_template_id", email))]
    file = tmp_path / "trust.toml"
    file.write_text(text + "\n[notify]\n" + "\n".join(li for li in lines if "None" not in li))
    key = key or notify.api_key()
    monkeypatch.setenv("QIHUB_CONFIG", str(file))
    monkeypatch.setenv("NOTIFY_API_KEY", key)
    monkeypatch.setenv("NOTIFY_API_URL", notify.url)
    status = main(["notify", "check"])
    out = capsys.readouterr()
    printed = out.out + out.err
    assert key not in printed, "the key is printed"
    assert not any(secret in printed for secret in notify.secrets.values())
    return status, out.out


def test_the_templates_of_the_docs_pass(
    notify: FakeNotify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sms = notify.add_template("sms", SMS)
    email = notify.add_template("email", EMAIL, subject=SUBJECT)
    status, out = check(notify, tmp_path, monkeypatch, capsys, sms=sms, email=email)
    assert status == 0, out
    assert f"text template {sms}: OK" in out and "((ack_url))" in out
    assert f"email template {email}: OK" in out
    assert "All set" in out


def test_each_wrong_template_is_named_with_what_is_wrong(
    notify: FakeNotify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    email_as_sms = notify.add_template("email", EMAIL, subject=SUBJECT)
    odd_field = notify.add_template("email", EMAIL + "\nDear ((first name))", subject=SUBJECT)
    status, out = check(notify, tmp_path, monkeypatch, capsys, sms=email_as_sms, email=odd_field)
    assert status == 1
    assert (
        f"text template {email_as_sms}: problem: it is an email template, but it must be a "
        "text message template" in out
    )
    assert f"email template {odd_field}: problem: it uses ((first name)), which QI Hub does " in out
    assert "All set" not in out and "docs/notify.md" in out

    no_link = notify.add_template("sms", "((org)) critical alert ((ref)): ((title))")
    unknown = str(uuid.uuid4())
    status, out = check(notify, tmp_path, monkeypatch, capsys, sms=no_link, email=unknown)
    assert status == 1
    assert "it has no ((ack_url)): staff could not acknowledge from the message" in out
    assert f"email template {unknown}: problem: Notify has no template with this id" in out


def test_notify_matches_fields_loosely_and_one_template_is_enough(
    notify: FakeNotify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Notify ignores case, spaces, hyphens and underscores in a field's name, and reads a
    conditional ((field??text)) as `field`."""
    sms = notify.add_template("sms", "((ORG)) ((Reminder??Again: )) ((ref)) ((ack-url))")
    status, out = check(notify, tmp_path, monkeypatch, capsys, sms=sms, email=None)
    assert status == 0, out
    assert "email template: not set ([notify] email_template_id): no emails are sent" in out


def test_a_refused_key_or_no_notify_is_one_sentence_and_exit_1(
    notify: FakeNotify,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sms = notify.add_template("sms", SMS)
    revoked = notify.api_key("old-key")
    notify.revoked.add("old-key")
    status, out = check(notify, tmp_path, monkeypatch, capsys, sms=sms, email=None, key=revoked)
    assert status == 1
    assert "could not be checked: Notify refused the API key (403)" in out

    url = notify.url
    notify.stop()
    status, out = check(notify, tmp_path, monkeypatch, capsys, sms=sms, email=None)
    assert status == 1 and "GOV.UK Notify could not be reached" in out and url in out
    notify.start()  # for the fixture's stop


def test_without_a_key_there_is_nothing_to_check(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NOTIFY_API_KEY", raising=False)
    assert main(["notify", "check"]) == 2
    assert "NOTIFY_API_KEY: not set" in capsys.readouterr().err
