"""The `qihub` command line: database tasks on real databases, and operator-friendly failures."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect

from bot.cli import main
from store import migrate
from store.base import Base
from store.db import make_engine
from tests.conftest import BACKENDS, PG_URL, create_pg_schema, drop_pg_schema

REPO = Path(__file__).resolve().parent.parent
DEAD_URL = "postgresql+psycopg://postgres@127.0.0.1:1/nope"


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run from an empty directory (no stray .env) with only the settings each test gives."""
    monkeypatch.chdir(tmp_path)
    for name in ("DATABASE_URL", "QIHUB_CONFIG", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with nothing in it: a new SQLite file or a new PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'new.db'}"
        return
    if PG_URL is None:
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL")
    schema = f"qihub_cli_{uuid.uuid4().hex[:8]}"
    try:
        yield create_pg_schema(schema)
    finally:
        drop_pg_schema(schema)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_line(text: str) -> str:
    assert text.endswith("\n") and text.count("\n") == 1, repr(text)
    return text.strip()


def test_db_upgrade_migrates_an_empty_database_then_is_up_to_date(
    empty_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The release step: the first run migrates and says so in one line; a rerun is a no-op
    that says the database is up to date (deploys run it every time)."""
    monkeypatch.setenv("DATABASE_URL", empty_url)
    head = migrate.head_revision()

    code, out, err = _run(capsys, "db", "current")
    assert (code, err) == (0, "")
    assert _one_line(out).endswith(f"at nothing (empty); latest is {head}")

    code, out, err = _run(capsys, "db", "upgrade")
    assert (code, err) == (0, "")
    assert _one_line(out).endswith(f"upgraded from empty to {head}.")

    engine = make_engine(empty_url)
    try:
        assert migrate.current_revision(engine) == head
        tables = set(inspect(engine).get_table_names())
        assert {t.name for t in Base.metadata.sorted_tables} <= tables
    finally:
        engine.dispose()

    code, out, err = _run(capsys, "db", "upgrade")
    assert (code, err) == (0, "")
    assert _one_line(out).endswith(f"is up to date ({head}).")

    code, out, err = _run(capsys, "db", "current")
    assert (code, err) == (0, "")
    assert _one_line(out).endswith(f"at {head}; latest is {head}")


def test_db_messages_hide_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Release logs are kept: the database password must not appear in them."""
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://qihub:s3cret@127.0.0.1:1/nope")
    code, out, err = _run(capsys, "db", "upgrade")
    assert code == 2
    assert "s3cret" not in out + err
    assert "***" in err


@pytest.mark.parametrize("task", ["upgrade", "current"])
def test_unreachable_database_is_one_plain_line(
    task: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A down database is an operator problem: exit 2 with a sentence, not a stack trace."""
    monkeypatch.setenv("DATABASE_URL", DEAD_URL)
    code, out, err = _run(capsys, "db", task)
    assert code == 2
    assert out == ""
    line = _one_line(err)
    assert line.startswith("qihub: cannot reach the database at ")
    assert "127.0.0.1" in line and "check DATABASE_URL" in line
    assert "Traceback" not in err


def test_missing_sqlite_directory_is_one_plain_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A SQLite path in a directory that does not exist is reported, not created or traced."""
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'missing' / 'qihub.db'}")
    code, _out, err = _run(capsys, "db", "upgrade")
    assert code == 2
    assert _one_line(err).startswith("qihub: cannot reach the database")
    assert "unable to open database file" in err


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "is not a database URL"),
        ("", "is not a database URL"),
        ("mysql://qihub@db.example/qihub", "supports SQLite and PostgreSQL"),
        pytest.param(
            "postgresql://qihub@db.example:fivefour/qihub",
            "is not a database URL",
            id="bad-port",
        ),
        pytest.param(
            "postgresql+nodriver://qihub@db.example/qihub",
            "driver",
            id="unknown-driver",
        ),
    ],
)
def test_malformed_database_url_is_one_plain_line(
    url: str, says: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A typo in DATABASE_URL ends with exit 2 and one line that names the setting."""
    monkeypatch.setenv("DATABASE_URL", url)
    code, out, err = _run(capsys, "db", "upgrade")
    assert code == 2
    assert out == ""
    line = _one_line(err)
    assert line.startswith("qihub: ")
    assert "DATABASE_URL" in line
    assert says in line


def test_malformed_database_url_does_not_echo_the_password(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Secrets never reach logs, even when the URL around them is mistyped."""
    monkeypatch.setenv("DATABASE_URL", "postgresql//qihub:s3cret@db.example/qihub")
    code, _out, err = _run(capsys, "db", "upgrade")
    assert code == 2
    assert "s3cret" not in err


def test_python_m_bot_help_lists_the_commands() -> None:
    """`python -m bot` is the entry point on hosts without the console script."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    for command in ("console", "web", "clock", "db", "config"):
        assert command in result.stdout
    assert result.stdout.startswith("usage: qihub")


def test_unreachable_database_from_a_real_process_has_no_traceback(tmp_path: Path) -> None:
    """What an operator actually sees from the release step when the database is down."""
    result = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "DATABASE_URL": DEAD_URL, "PYTHONPATH": str(REPO)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert _one_line(result.stderr).startswith("qihub: cannot reach the database")
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "command",
    [("export", "ideas"), ("alerts", "export", "ALERT-2026-0001")],
    ids=["register", "ledger"],
)
def test_an_export_with_no_database_says_so_and_creates_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: tuple[str, ...]
) -> None:
    """Run where there is no qihub.db (DATABASE_URL unset): one line, no traceback, no empty
    database file left behind, no header-only CSV on standard output."""
    code, out, err = _run(capsys, *command)
    assert code == 2
    assert _one_line(err).startswith("qihub: there is no QI Hub database at ")
    assert out == ""
    assert not (tmp_path / "qihub.db").exists()


def test_an_export_to_a_folder_that_does_not_exist_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'q.db'}")
    assert _run(capsys, "db", "upgrade")[0] == 0
    for command in (("export", "ideas"), ("safety", "export")):
        code, _out, err = _run(capsys, *command, "-o", str(tmp_path / "nowhere" / "x.csv"))
        assert code == 2, command
        assert _one_line(err).startswith("qihub: -o: cannot write "), command
