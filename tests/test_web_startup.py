"""`qihub web` as an operator starts it: a fresh database, Slack configured, no clock yet run.

The first person to type `/idea` must get the form, not "I can't find you in the directory":
the web loads the organisation config's people at start-up, as the clock does, and several
processes starting together take turns instead of tripping over each other's rows.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx2 as httpx
import pytest

from bot.app import create_app
from bot.settings import Settings
from handlers.clock import ManualClock
from handlers.config import OrgConfig
from tests.conftest import START, _empty_all
from tests.slack import signed
from tests.slack.fake_api import FakeSlack

ALEX = "alex.morgan@clatterbridge.example"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _environment(db: Path, **extra: str) -> dict[str, str]:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            ("QIHUB_", "DATABASE_URL", "SLACK_", "TEAMS_", "LOG_LEVEL", "PORT", "WEB_WORKERS")
        )
    }
    return {**clean, "DATABASE_URL": f"sqlite:///{db}", **extra}


def _qihub(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def fake_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(users={"U0ALEX": ALEX})
    server = fake.start()
    yield fake
    server.shutdown()


def test_a_fresh_database_knows_the_config_people_from_the_first_request(
    tmp_path: Path, fake_slack: FakeSlack
) -> None:
    env = _environment(tmp_path / "qihub.db")
    _serves_the_first_request(env, tmp_path, fake_slack)


@pytest.mark.postgres
def test_several_web_workers_on_postgresql(
    tmp_path: Path, fake_slack: FakeSlack, request: pytest.FixtureRequest
) -> None:
    """WEB_WORKERS=2: uvicorn's workers serve the one port, each app built from the
    environment as the parent checked it (bot.web.worker_app)."""
    url: str = request.getfixturevalue("pg_session_url")
    _empty_all(url)
    env = {**_environment(tmp_path / "unused.db"), "DATABASE_URL": url, "WEB_WORKERS": "2"}
    _serves_the_first_request(env, tmp_path, fake_slack)


def _serves_the_first_request(env: dict[str, str], cwd: Path, fake_slack: FakeSlack) -> None:
    """`qihub db upgrade`, `qihub web`, then the first person's /idea opens the form."""
    port = _free_port()
    env = {
        **env,
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": signed.SECRET,
        "SLACK_API_URL": fake_slack.url + "/api/",
        "PORT": str(port),
    }
    upgraded = _qihub(env, cwd, "db", "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    web = subprocess.Popen(
        [sys.executable, "-m", "bot", "web"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while True:
            assert web.poll() is None, web.stderr.read() if web.stderr else ""
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "qihub web did not start within 60 s"
            time.sleep(0.2)
        body = signed.slash_command(
            "/idea", "Colour-coded flush labels", "U0ALEX", response_url=fake_slack.url + "/r/1"
        )
        answer = httpx.post(
            base + "/slack/events", content=body, headers=signed.signed_headers(body), timeout=10
        )
        assert answer.status_code == 200
        assert "directory" not in answer.text
        deadline = time.monotonic() + 10
        while not (opened := fake_slack.of("views.open")) and time.monotonic() < deadline:
            time.sleep(0.05)  # the form opens just after the ack
        assert len(opened) == 1, fake_slack.calls
        assert "Colour-coded flush labels" in str(opened[0]["view"])
    finally:
        web.terminate()
        web.wait(timeout=30)


def test_several_web_workers_are_refused_on_sqlite(tmp_path: Path) -> None:
    """SQLite takes one writer at a time: processes would queue on its busy timeout, far
    slower than one process's threads on its lock (store/sqlite_lock.py)."""
    env = _environment(tmp_path / "qihub.db", PORT=str(_free_port()), WEB_WORKERS="2")
    assert _qihub(env, tmp_path, "db", "upgrade").returncode == 0
    result = _qihub(env, tmp_path, "web")
    assert result.returncode == 2
    assert "WEB_WORKERS above 1 needs PostgreSQL" in result.stderr
    assert "Traceback" not in result.stderr


def test_web_refuses_a_database_that_was_not_upgraded(tmp_path: Path) -> None:
    result = _qihub(_environment(tmp_path / "new.db", PORT=str(_free_port())), tmp_path, "web")
    assert result.returncode == 2
    assert "run `qihub db upgrade` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_processes_starting_together_load_the_directory_once(
    db_url: str, config: OrgConfig
) -> None:
    """Four processes' worth of apps (each its own engine) load the directory at the same
    instant on an empty database: none fails, and each person is there once."""
    hubs = [
        create_app(Settings(database_url=db_url, _env_file=None), clock=ManualClock(START))
        for _ in range(4)
    ]
    start = threading.Barrier(len(hubs))
    failures: list[BaseException] = []

    def load(index: int) -> None:
        start.wait()
        try:
            hubs[index].sync_directory()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=load, args=(i,)) for i in range(len(hubs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert failures == []
    with hubs[0].uow_factory() as uow:
        assert uow.staff.count() == len(config.people)
        sam = uow.staff.by_email("sam.patel@clatterbridge.example")
        assert sam is not None
        assert "ideas_panel" in uow.staff.roles_of(sam.id)
    for hub in hubs:
        hub.engine.dispose()
