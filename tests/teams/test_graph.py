"""Directory sync through Graph's users delta query, and installing the Teams app for everyone,
against a fake Graph on 127.0.0.1 (SQLite always, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.app import QIHub
from bot.errors import MissingCredential
from bot.settings import Settings
from bot.teams.auth import StaticToken
from bot.teams.directory_sync import sync_directory, sync_directory_job
from bot.teams.graph import GraphClient, GraphError
from bot.teams.graph_tasks import run_directory_sync, run_install_for_everyone
from bot.teams.install import install_for_everyone
from handlers.clock import ManualClock
from store.models import AuditEntry, DirectorySync, Staff, TeamsConversation
from tests.conftest import START
from tests.harness import JO, KIM
from tests.teams.fake_graph import FakeGraph

TOKEN = "graph-test-token"
DOMAIN = "clatterbridge.example"


@pytest.fixture
def fake_graph() -> Iterator[FakeGraph]:
    fake = FakeGraph(page_size=2)
    fake.start()
    yield fake
    fake.stop()


def graph_settings(fake: FakeGraph, **extra: object) -> Settings:
    return Settings(graph_api_url=f"{fake.url}/v1.0", _env_file=None, **extra)  # type: ignore[arg-type]


@pytest.fixture
def client(fake_graph: FakeGraph) -> Iterator[GraphClient]:
    with GraphClient(
        graph_settings(fake_graph), StaticToken(TOKEN), backoff=0.001, max_attempts=4
    ) as graph:
        yield graph


def directory(fake: FakeGraph) -> None:
    """A small tenant. Ids sort so that reports come before their manager's page."""
    fake.add_user(
        "a-worker",
        "Wendy Worker",
        f"Wendy.Worker@{DOMAIN}",
        department="Oncology",
        office="Wirral",
        job_title="Staff nurse",
        manager="z-boss",
    )
    fake.add_user(
        "b-kim",
        "Kim Jones (Entra)",
        f"KIM.JONES@{DOMAIN}",
        office="Aintree",
        job_title="Ward manager",
        manager="z-boss",
    )
    fake.add_user("c-room", "Conference room", None, upn=None)
    fake.add_user("d-gone", "Gary Gone", None, upn=f"gary.gone@{DOMAIN}", department="Pharmacy")
    fake.add_user("e-off", "Olive Off", f"olive.off@{DOMAIN}", enabled=False)
    fake.add_user(
        "z-boss", "Pat Boss", f"pat.boss@{DOMAIN}", department="Oncology", job_title="Director"
    )


def staff(app: QIHub, email: str) -> Staff:
    with app.uow_factory() as uow:
        person = uow.staff.by_email(email)
        assert person is not None, email
        uow.session.expunge(person)  # readable after the unit of work closes
        return person


def test_first_sync_reads_every_page_and_links_managers(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    directory(fake_graph)
    lines: list[str] = []

    result = sync_directory(app, client, progress=lines.append)

    assert result.full and not result.resynced
    assert result.pages == 3
    assert (result.created, result.skipped) == (4, 1)  # Kim exists (config); the room has no email
    assert result.managers_changed == 2
    assert lines[0].startswith("page 1: 2 people (1 new, 1 changed, 0 left")
    worker = staff(app, f"wendy.worker@{DOMAIN}")
    boss = staff(app, f"pat.boss@{DOMAIN}")
    assert (worker.department, worker.site, worker.job_title) == (
        "Oncology",
        "Wirral",
        "Staff nurse",
    )
    assert (worker.teams_aad_id, worker.source, worker.active) == ("a-worker", "graph", True)
    assert worker.line_manager_id == boss.id
    assert staff(app, f"gary.gone@{DOMAIN}").department == "Pharmacy"  # the UPN stands in for mail
    assert staff(app, f"olive.off@{DOMAIN}").active is False

    first = fake_graph.of("/users/delta")[0]
    assert first.query["$select"].split(",")[-1] == "manager"
    assert {c.token for c in fake_graph.calls} == {TOKEN}
    with app.uow_factory() as uow:
        state = uow.session.get(DirectorySync, "graph")
        assert state is not None and state.delta_link and "$deltatoken=" in state.delta_link
        assert state.users_seen == 6
        run = uow.audit.for_entity("directory", "graph")
        assert [a.action for a in run] == ["synced"]
        assert run[0].after is not None and run[0].after["created"] == 4
        created = uow.audit.for_entity("staff", str(worker.id))
        assert [a.action for a in created] == ["directory_created", "directory_line_manager"]
        assert "Wendy" not in str(created[0].after)  # no names in the audit trail


def test_config_people_keep_source_roles_email_and_values_graph_lacks(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    before = staff(app, KIM)
    with app.uow_factory() as uow:
        roles = uow.staff.roles_of(before.id)
    assert roles and before.department == "ward-4"
    directory(fake_graph)

    sync_directory(app, client)

    kim = staff(app, KIM)
    assert kim.id == before.id
    assert (kim.source, kim.email, kim.teams_aad_id) == ("config", KIM, "b-kim")
    assert kim.display_name == "Kim Jones (Entra)" and kim.site == "Aintree"
    assert kim.department == "ward-4"  # Graph has no department: the config's stays
    assert kim.line_manager_id == staff(app, f"pat.boss@{DOMAIN}").id
    with app.uow_factory() as uow:
        assert uow.staff.roles_of(kim.id) == roles
    app.sync_directory()  # the config sync still works alongside
    with app.uow_factory() as uow:
        assert uow.staff.roles_of(kim.id) == roles


def test_second_sync_asks_only_for_changes(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient, clock: ManualClock
) -> None:
    directory(fake_graph)
    sync_directory(app, client)
    untouched = staff(app, f"pat.boss@{DOMAIN}").updated_at
    fake_graph.reset()
    clock.advance(timedelta(hours=1))
    fake_graph.update_user("a-worker", department="Haematology", manager=None)
    fake_graph.add_user("f-new", "Nina New", f"nina.new@{DOMAIN}", manager="z-boss")
    fake_graph.remove_user("d-gone")
    fake_graph.update_user("e-off", accountEnabled=True)
    lines: list[str] = []

    result = sync_directory(app, client, progress=lines.append)

    assert not result.full
    first = fake_graph.of("/users/delta")[0]
    assert "$deltatoken" in first.query and "$select" not in first.query
    assert result.users_seen == 4  # three changed users and one removal, nobody else
    assert (result.created, result.updated, result.deactivated, result.reactivated) == (1, 1, 1, 1)
    worker = staff(app, f"wendy.worker@{DOMAIN}")
    assert worker.department == "Haematology"
    assert worker.line_manager_id is None  # the manager was taken away in Entra
    gone = staff(app, f"gary.gone@{DOMAIN}")
    assert gone.active is False  # never deleted
    assert staff(app, f"olive.off@{DOMAIN}").active is True
    assert staff(app, f"nina.new@{DOMAIN}").line_manager_id == staff(app, f"pat.boss@{DOMAIN}").id
    assert staff(app, f"pat.boss@{DOMAIN}").updated_at == untouched
    with app.uow_factory() as uow:
        trail = [a.action for a in uow.audit.for_entity("staff", str(gone.id))]
    assert trail[-1] == "directory_deactivated"

    fake_graph.reset()
    again = sync_directory(app, client)  # nothing changed: one empty page
    assert (again.pages, again.users_seen, again.created, again.updated) == (1, 0, 0, 0)


def test_expired_delta_link_starts_a_full_sync_and_sweeps_the_absent(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    directory(fake_graph)
    sync_directory(app, client)
    fake_graph.remove_user("d-gone")
    fake_graph.expire_delta_links()
    fake_graph.reset()
    lines: list[str] = []

    result = sync_directory(app, client, progress=lines.append)

    assert result.resynced and result.full
    assert fake_graph.of("/users/delta")[0].status == 410
    assert "$select" in fake_graph.of("/users/delta")[1].query
    assert staff(app, f"gary.gone@{DOMAIN}").active is False  # not listed in the full read
    assert staff(app, f"pat.boss@{DOMAIN}").active is True
    assert result.created == 0
    assert any("starting over" in line for line in lines)


def test_throttling_is_honoured_and_retries_are_bounded(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    directory(fake_graph)
    fake_graph.fail("/users/delta", 429, retry_after="0", times=2)
    fake_graph.fail("/users/delta", 503, times=1)  # no Retry-After: jittered backoff

    result = sync_directory(app, client)

    assert result.pages == 3
    assert [c.status for c in fake_graph.of("/users/delta")][:4] == [429, 429, 503, 200]

    fake_graph.fail("/users/delta", 503, retry_after="0", times=10)
    with pytest.raises(GraphError) as raised:
        sync_directory(app, client)
    assert "after 4 tries" in str(raised.value) and TOKEN not in str(raised.value)
    assert raised.value.status == 503


def test_client_keeps_the_token_on_the_graph_host(client: GraphClient) -> None:
    with pytest.raises(GraphError, match="refusing to send the Graph token"):
        client.get_json("https://evil.example/v1.0/users/delta")


def test_scheduler_job_logs_failures_instead_of_raising(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    directory(fake_graph)
    fake_graph.fail("/users/delta", 500, retry_after="0", times=10)
    sync_directory_job(app, client)  # Graph stays down for every try: logged, not raised
    with app.uow_factory() as uow:
        assert uow.session.get(DirectorySync, "graph") is None
    fake_graph.failures.clear()
    sync_directory_job(app, client)  # the next scheduled run works
    with app.uow_factory() as uow:
        assert uow.session.get(DirectorySync, "graph") is not None


def _personal_chat(app: QIHub, email: str, *, installed: bool = True) -> None:
    person = staff(app, email)
    with app.uow_factory() as uow:
        uow.session.add(
            TeamsConversation(
                conversation_id=f"a:{person.id}",
                kind="personal",
                service_url="https://smba.trafficmanager.net/uk/",
                staff_id=person.id,
                installed=installed,
                created_at=START,
                updated_at=START,
            )
        )
        uow.commit()


def test_install_for_everyone_counts_outcomes_and_skips_the_reachable(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    directory(fake_graph)
    fake_graph.add_user("g-blocked", "Bea Blocked", f"bea.blocked@{DOMAIN}")
    fake_graph.add_user("h-chat", "Carl Chat", f"carl.chat@{DOMAIN}")
    fake_graph.add_user("i-removed", "Rita Removed", f"rita.removed@{DOMAIN}")
    sync_directory(app, client)
    _personal_chat(app, f"carl.chat@{DOMAIN}")
    _personal_chat(app, KIM, installed=False)  # removed the app once: install again
    fake_graph.installed.add("z-boss")  # installed, but Teams has not told us yet
    fake_graph.install_status["g-blocked"] = 403
    fake_graph.install_status["i-removed"] = 404
    fake_graph.reset()
    lines: list[str] = []

    result = install_for_everyone(
        app, client, app_id="app-123", progress=lines.append, requests_per_second=1000
    )

    posted = {c.path.split("/")[3] for c in fake_graph.of("/teamwork/installedApps")}
    # Olive's account is disabled, the room has no record, Carl already has a chat
    assert posted == {"a-worker", "b-kim", "d-gone", "g-blocked", "i-removed", "z-boss"}
    assert (result.installed, result.already, result.failed) == (3, 1, 2)
    assert {f.aad_id: f.status for f in result.failures} == {"g-blocked": 403, "i-removed": 404}
    assert "403" in result.failures[0].reason and TOKEN not in result.failures[0].reason
    body = fake_graph.of("/teamwork/installedApps")[0].body
    assert body == {"teamsApp@odata.bind": f"{fake_graph.url}/v1.0/appCatalogs/teamsApps/app-123"}
    assert lines == ["batch 1: 6 people (3 installed, 1 already, 2 failed)"]
    with app.uow_factory() as uow:
        audit = uow.audit.for_entity("teams_app", "all_staff")
        assert audit[0].after == {"app_id": "app-123", "installed": 3, "already": 1, "failed": 2}


def test_install_streams_in_batches_and_is_paced(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    for n in range(5):
        fake_graph.add_user(f"u{n}", f"Person {n}", f"person{n}@{DOMAIN}")
    sync_directory(app, client)
    lines: list[str] = []
    result = install_for_everyone(
        app, client, app_id="app-1", progress=lines.append, batch_size=2, requests_per_second=50
    )
    assert result.batches == 3 and result.installed == 5
    assert [line.split(":")[0] for line in lines] == ["batch 1", "batch 2", "batch 3"]


def test_cli_sync_prints_progress_and_summary(
    db_url: str, fake_graph: FakeGraph, capsys: pytest.CaptureFixture[str]
) -> None:
    directory(fake_graph)
    settings = graph_settings(fake_graph, database_url=db_url)

    assert run_directory_sync(settings, tokens=StaticToken(TOKEN)) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("page 1: 2 people")
    assert out[-1].startswith("directory sync done (full sync): 3 pages, 6 users seen; 5 new")


def test_cli_install_prints_batches_failures_and_summary(
    db_url: str, fake_graph: FakeGraph
) -> None:
    directory(fake_graph)
    fake_graph.install_status["z-boss"] = 403
    settings = graph_settings(fake_graph, database_url=db_url, teams_app_id="app-9")
    assert run_directory_sync(settings, tokens=StaticToken(TOKEN), out=io.StringIO()) == 0
    out = io.StringIO()

    assert run_install_for_everyone(settings, tokens=StaticToken(TOKEN), out=out) == 1

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("batch 1: ")
    assert any(line.startswith("  failed: staff ") and "403" in line for line in lines)
    assert lines[-1].endswith("installed, 0 already had the app, 1 failed")


def test_cli_without_credentials_raises_missing_credential(fake_graph: FakeGraph) -> None:
    bare = graph_settings(
        fake_graph,
        database_url="sqlite:///:memory:",
        teams_client_id=None,
        teams_client_secret=None,
        teams_tenant_id=None,
        teams_app_id="app-1",
    )
    with pytest.raises(MissingCredential, match="TEAMS_CLIENT_ID"):
        run_directory_sync(bare)
    with pytest.raises(MissingCredential, match="TEAMS_CLIENT_ID"):
        run_install_for_everyone(bare)
    no_app = graph_settings(fake_graph, teams_app_id=None)
    with pytest.raises(MissingCredential, match="TEAMS_APP_ID"):
        run_install_for_everyone(no_app, tokens=StaticToken(TOKEN))
    assert fake_graph.calls == []


def test_refused_token_is_a_missing_credential(db_url: str, fake_graph: FakeGraph) -> None:
    fake_graph.fail("/users/delta", 401)
    settings = graph_settings(fake_graph, database_url=db_url)
    with pytest.raises(MissingCredential, match="401"):
        run_directory_sync(settings, tokens=StaticToken(TOKEN), out=io.StringIO())


def test_staff_count_is_stable_across_replays(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    """Graph may replay changes; a replayed round must not duplicate anyone."""
    directory(fake_graph)
    sync_directory(app, client)
    with app.uow_factory() as uow:
        uow.session.get(DirectorySync, "graph").delta_link = None  # type: ignore[union-attr]
        uow.commit()
        count = uow.session.scalar(select(func.count()).select_from(Staff))
    again = sync_directory(app, client)
    assert again.created == 0
    with app.uow_factory() as uow:
        assert uow.session.scalar(select(func.count()).select_from(Staff)) == count
        assert (
            uow.session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "synced")
            )
            == 2
        )


def test_config_people_match_by_upn_and_graph_people_follow_a_new_address(
    app: QIHub, fake_graph: FakeGraph, client: GraphClient
) -> None:
    jo = staff(app, JO)
    fake_graph.add_user("j-jo", "Jo Williams", f"j.williams@{DOMAIN}", upn=JO.upper())
    fake_graph.add_user("k-new", "Ned New", f"ned.new@{DOMAIN}")
    sync_directory(app, client)
    linked = staff(app, JO)
    assert (linked.id, linked.teams_aad_id, linked.source) == (jo.id, "j-jo", "config")
    ned = staff(app, f"ned.new@{DOMAIN}")

    fake_graph.update_user("k-new", mail=f"ned.renamed@{DOMAIN}", userPrincipalName=None)
    fake_graph.update_user("j-jo", mail=f"jo.w@{DOMAIN}")
    sync_directory(app, client)

    assert staff(app, f"ned.renamed@{DOMAIN}").id == ned.id  # same person, new address
    assert staff(app, JO).teams_aad_id == "j-jo"  # the config's address stays the key
