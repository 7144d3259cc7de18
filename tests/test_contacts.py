"""Staff mobile numbers and alert emails: checked as GOV.UK Notify checks them, filled from the
directory (a fake Microsoft Graph on 127.0.0.1), the config and a CSV import, an operator's
value never overwritten by the directory, and no number or address ever in a log line, an
audit entry or a message (SQLite always, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import QIHub
from bot.cli import main
from bot.settings import Settings
from bot.teams.auth import StaticToken
from bot.teams.directory_sync import sync_directory
from bot.teams.graph import GraphClient
from handlers.config import ConfigError, load_config, parse_config
from handlers.contacts import ContactChange, merge
from handlers.mobile import ContactProblem, normalise_uk_mobile
from store.models import AuditEntry, StaffContact
from tests.harness import ALEX, KIM, SAM
from tests.teams.fake_graph import FakeGraph

WHEN = datetime(2026, 11, 26, 9, 0, tzinfo=UTC)
DOMAIN = "clatterbridge.example"


def digits_of(text: str) -> str:
    return re.sub(r"\D", "", text)


def assert_no_number_in(text: str, *numbers: str) -> None:
    """None of the numbers' significant digits (national form, without the leading 0 or
    +44) appear in `text`, with any separators taken out."""
    flat = digits_of(text)
    for number in numbers:
        core = digits_of(number)[-10:]
        assert core not in flat, "a mobile number reached the text"


# ---------------------------------------------------------------------------- normalising


@pytest.mark.parametrize(
    "raw",
    [
        "07911 123456",
        "07911123456",
        "+447911123456",
        "+44 7911 123456",
        "0044 7911 123456",
        "447911123456",
        "+44 (0)7911 123456",
        "(07911) 123-456",
        " 07911 123456 ",
    ],
)
def test_uk_mobiles_normalised_to_e164(raw: str) -> None:
    assert normalise_uk_mobile(raw) == "+447911123456"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("07911123456x", "letters or symbols"),  # phonenumbers alone would accept it
        ("07911.123456", "letters or symbols"),
        ("seven nine", "letters or symbols"),
        ("0151 456 5000", "not a mobile"),  # a landline
        ("0800 123 4567", "not a mobile"),
        ("07911 12345", "not a valid"),
        ("", "empty"),
        ("+", "not a phone number"),
    ],
)
def test_landlines_letters_and_trailing_junk_refused_without_repeating_the_number(
    raw: str, why: str
) -> None:
    with pytest.raises(ContactProblem, match=why) as caught:
        normalise_uk_mobile(raw)
    assert not re.search(r"\d{3}", str(caught.value))


def test_international_refused_unless_allowed() -> None:
    with pytest.raises(ContactProblem, match="not a UK mobile"):
        normalise_uk_mobile("+33 6 12 34 56 78")
    assert normalise_uk_mobile("+33 6 12 34 56 78", allow_international=True) == "+33612345678"


def test_ofcom_drama_range_accepted() -> None:
    """Notify admits 07700 900000-900999 (its test numbers live there); phonenumbers calls
    them invalid. Just outside the range is refused."""
    assert normalise_uk_mobile("07700 900000") == "+447700900000"
    assert normalise_uk_mobile("07700900999") == "+447700900999"
    with pytest.raises(ContactProblem):
        normalise_uk_mobile("07700 901000")


# ---------------------------------------------------------------------------- merging


def test_operator_values_win_over_the_directory_and_a_change_clears_a_refusal() -> None:
    row = StaffContact(staff_id=1, updated_at=WHEN)
    assert merge(row, ContactChange(1, mobile="+447700900001"), "graph") == ["mobile"]
    assert (row.mobile, row.mobile_source) == ("+447700900001", "graph")
    assert merge(row, ContactChange(1, mobile="+447700900002"), "csv") == ["mobile"]
    assert merge(row, ContactChange(1, mobile="+447700900003"), "graph") == []
    assert merge(row, ContactChange(1, mobile=None), "graph") == []  # cannot clear the CSV's
    assert (row.mobile, row.mobile_source) == ("+447700900002", "csv")
    row.mobile_failed_at = WHEN
    assert merge(row, ContactChange(1, mobile="+447700900004"), "config") == ["mobile"]
    assert row.mobile_failed_at is None and row.mobile_source == "config"
    assert merge(row, ContactChange(1, mobile=None), "csv") == ["mobile"]
    assert (row.mobile, row.mobile_source) == (None, None)


# ---------------------------------------------------------------------------- sources


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(page_size=2)
    fake.start()
    yield fake
    fake.stop()


def contact(app: QIHub, email: str) -> StaffContact | None:
    with app.uow_factory() as uow:
        person = uow.staff.by_email(email)
        assert person is not None
        found = uow.contacts.for_staff([person.id]).get(person.id)
        if found is not None:
            uow.session.expunge(found)
        return found


def test_graph_mobile_phone_fills_contacts_and_an_imported_number_wins(
    app: QIHub, fake_graph: FakeGraph, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    fake_graph.add_user("a-wendy", "Wendy Worker", f"wendy@{DOMAIN}", mobile="07700 900123")
    fake_graph.add_user("b-desk", "Desk Line", f"desk@{DOMAIN}", mobile="0151 556 5000")
    fake_graph.add_user("c-kim", "Kim Jones", KIM, mobile="+44 7700 900456")
    fake_graph.add_user("d-bank", "Bea Bank", "bea@bank.example", upn=f"bea@{DOMAIN}")
    settings = Settings(graph_api_url=f"{fake_graph.url}/v1.0", _env_file=None)  # type: ignore[call-arg]
    with GraphClient(settings, StaticToken("t"), backoff=0.001) as client:
        result = sync_directory(app, client)
        assert (result.contacts, result.mobiles_refused) == (2, 1)  # Wendy, Kim; the desk line

        wendy = contact(app, f"wendy@{DOMAIN}")
        assert wendy is not None
        assert (wendy.mobile, wendy.mobile_source) == ("+447700900123", "graph")
        assert wendy.email is None  # `mail` is her work address: nothing more to keep
        bea = contact(app, "bea@bank.example")
        assert bea is None  # her mailbox is her work address too (the first of mail, UPN)
        desk = contact(app, f"desk@{DOMAIN}")
        assert desk is None  # a desk line is never texted: nothing kept

        file = tmp_path / "contacts.csv"
        file.write_text(f"email,mobile\nwendy@{DOMAIN},07700 900777\n", "utf-8")
        assert import_file(app, file) == 0
        fake_graph.update_user("a-wendy", mobilePhone="07700 900888")
        fake_graph.update_user("c-kim", mobilePhone=None)
        sync_directory(app, client)

    wendy = contact(app, f"wendy@{DOMAIN}")
    assert wendy is not None and (wendy.mobile, wendy.mobile_source) == ("+447700900777", "csv")
    kim = contact(app, KIM)
    assert kim is not None and kim.mobile is None  # the directory took back its own number
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert_no_number_in(text, "07700900123", "01515565000", "07700900456", "07700900777")
    assert_no_number_in(text, "07700900888")
    with app.uow_factory() as uow:
        audit = " ".join(f"{a.before} {a.after} {a.reason}" for a in uow.session.scalars(
            select(AuditEntry)))  # fmt: skip
    assert_no_number_in(audit, "07700900123", "07700900456", "07700900777", "07700900888")


def test_config_people_give_numbers_and_a_bad_one_is_named_by_key_not_value(
    db_url: str,
) -> None:
    from bot.app import create_app
    from handlers.clock import ManualClock

    data = _bundled_with(mobile="07700 900321", alert_email="alex.home@mail.example")
    config = parse_config(data)
    hub = create_app(
        Settings(database_url=db_url, _env_file=None), clock=ManualClock(WHEN), config=config
    )
    try:
        hub.sync_directory()
        found = contact(hub, ALEX)
        assert found is not None
        assert (found.mobile, found.mobile_source) == ("+447700900321", "config")
        assert (found.email, found.email_source) == ("alex.home@mail.example", "config")
        assert contact(hub, SAM) is None  # nobody else was given one
    finally:
        hub.engine.dispose()
    with pytest.raises(ConfigError) as caught:
        parse_config(_bundled_with(mobile="0151 456 5000"))
    assert caught.value.key.endswith("].mobile") and "landline" in caught.value.message
    assert "456" not in str(caught.value)


def _bundled_with(**alex: str) -> dict[str, object]:
    import tomllib
    from importlib import resources

    text = (resources.files("handlers") / "defaults" / "clatterbridge.toml").read_text("utf-8")
    data = tomllib.loads(text)
    for person in data["people"]:
        if person["email"] == ALEX:
            person.update(alex)
    return data


# ---------------------------------------------------------------------------- CSV import


def import_file(app: QIHub, file: Path) -> int:
    import os

    previous = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = app.settings.database_url
    try:
        return main(["contacts", "import", str(file)])
    finally:
        if previous is None:
            del os.environ["DATABASE_URL"]
        else:
            os.environ["DATABASE_URL"] = previous


def test_csv_import_reports_lines_not_numbers_and_imports_nothing_on_a_problem(
    app: QIHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(
        "Email,Mobile,Alert_Email\n"
        f"{ALEX},07700 900111,\n"
        f"{SAM},0151 456 5000,\n"  # a landline
        f"nobody@{DOMAIN},07700 900112,\n"
        f"{KIM},07700900113x,kim.home@mail\n"
        f"{ALEX},07700 900114,\n",
        "utf-8",
    )
    assert import_file(app, file) == 1
    out = capsys.readouterr()
    assert "nothing was imported" in out.err
    assert "line 3, mobile: the number is not a mobile number" in out.err
    assert "line 5, mobile: the mobile number has letters or symbols" in out.err
    assert "line 5, alert_email: the email address is not an email address" in out.err
    assert "line 6: the same person as line 2" in out.err
    assert_no_number_in(out.err + out.out, "07700900111", "01514565000", "07700900113")
    assert contact(app, ALEX) is None  # the good row waited for the others

    file.write_text(f"email,mobile\n{ALEX},07700 900111\nnobody@{DOMAIN},07700 900112\n")
    assert import_file(app, file) == 1
    assert "line 3, email: nobody in the directory has this email address" in (
        capsys.readouterr().err
    )
    assert contact(app, ALEX) is None


def test_csv_import_writes_all_rows_removes_with_a_dash_and_summarises(
    app: QIHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(
        "\ufeffemail,mobile,alert_email\r\n"  # Excel's UTF-8 CSV: a BOM and CRLF
        f"{ALEX.upper()},+44 7700 900 111,\r\n"
        "\r\n"
        f'{SAM},"07700 900222",sam.home@mail.example\r\n',
        "utf-8",
    )
    assert import_file(app, file) == 0
    assert capsys.readouterr().out.strip() == "Imported 2 rows: details changed for 2 people."
    alex, sam = contact(app, ALEX), contact(app, SAM)
    assert alex is not None and (alex.mobile, alex.email) == ("+447700900111", None)
    assert sam is not None and (sam.mobile, sam.email) == ("+447700900222", "sam.home@mail.example")

    file.write_text(f"email,mobile,alert_email\n{SAM},-,\n{ALEX},,\n", "utf-8")
    assert import_file(app, file) == 0
    assert "details changed for 1 person" in capsys.readouterr().out
    sam = contact(app, SAM)
    assert sam is not None and (sam.mobile, sam.email) == (None, "sam.home@mail.example")
    alex = contact(app, ALEX)
    assert alex is not None and alex.mobile == "+447700900111"  # an empty cell keeps it
    with app.uow_factory() as uow:
        assert uow.contacts.counts() == (1, 1)
        audit = uow.audit.for_entity("contacts", "csv")
        assert [a.after for a in audit][-1] == {"rows": 2, "changed": 1, "left": 0}


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("email,phone\n", "line 1: unknown column 'phone'"),
        ("mobile\n07700900111\n", "line 1: the header needs an `email` column"),
        ("email\nx@y.example\n", "needs a `mobile` or an `alert_email` column"),
        ('email,mobile\n"a@b.example,0770\n', "not readable as CSV"),
        (f"email,mobile\n{ALEX},07700900111,extra\n", "line 2: 3 cells where the header has 2"),
    ],
)
def test_csv_import_refuses_a_malformed_file(
    app: QIHub, tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, problem: str
) -> None:
    file = tmp_path / "contacts.csv"
    file.write_text(text, "utf-8")
    assert import_file(app, file) == 1
    assert problem in capsys.readouterr().err


def test_csv_import_of_a_missing_or_binary_file_is_one_sentence(
    app: QIHub, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert import_file(app, tmp_path / "absent.csv") == 2
    assert "file not found" in capsys.readouterr().err
    binary = tmp_path / "contacts.xlsx"
    binary.write_bytes(b"PK\x03\x04\xff\xfe")
    assert import_file(app, binary) == 2
    assert "save it as UTF-8 CSV" in capsys.readouterr().err


def test_bundled_config_still_loads() -> None:
    assert load_config().notify.sms_template_id is None
