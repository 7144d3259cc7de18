"""The library benchmark (bench/library.py) at a tiny scale: its register holds the search text
the app itself would keep, every search and lesson page it times answers through the real core,
and a whole run writes its JSON with the machine and marks pages that do not exist yet as not
measured instead of failing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench import data, library, library_data, library_web
from bot.app import QIHub
from handlers.config import OrgConfig
from handlers.search import lesson_search_text
from store.models import Lesson

LESSONS = 300


@pytest.fixture
def library_hub(db_url: str, config: OrgConfig) -> Iterator[QIHub]:
    hub = data.open_hub(db_url, config)
    library_data.seed(hub.engine, config, LESSONS, progress=lambda _line: None)
    yield hub
    hub.engine.dispose()


def test_seeded_search_text_is_what_the_app_keeps(library_hub: QIHub) -> None:
    with library_hub.uow_factory() as uow:
        lessons = uow.session.query(Lesson).order_by(Lesson.id).limit(60).all()
        assert len(lessons) == 60
        for lesson in lessons:
            actions = list(uow.actions.for_lesson(lesson.id))
            assert lesson.search_text == lesson_search_text(lesson, actions, library_hub.config)
        statuses = {x.status for x in uow.session.query(Lesson)}
        untriaged = uow.session.query(Lesson).filter(Lesson.triaged_at.is_(None)).count()
    assert {"submitted", "in_progress", "closed"} <= statuses
    assert untriaged > 0


def test_every_timed_search_and_page_answers_through_the_core(library_hub: QIHub) -> None:
    refs = library.Refs.of(library_hub, rounds=2)
    scenarios = library.measure(library_hub, refs, rounds=2)
    assert set(scenarios) >= {f"search: {s.name}" for s in library.SEARCHES}
    matched = scenarios["search: a word in most lessons: patient"]["answer"]
    assert matched.endswith("lessons match 'patient'")
    assert int(matched.split()[0]) > LESSONS // 2
    assert scenarios["search: a common word: handover"]["answer"].endswith("match 'handover'")
    for name, figures in scenarios.items():
        assert figures["samples"] == 2, name
        assert figures["statements"] > 0, name
    assert library.verdict(scenarios)["floor_p95_ms"] > 0


def test_the_http_pass_signs_in_and_marks_absent_pages(library_hub: QIHub, db_url: str) -> None:
    refs = library.Refs.of(library_hub, rounds=1)
    http = library_web.run(db_url, [("latest", {"q": ""})], refs.triaged)
    pages = http["pages"]
    assert pages["floor: GET /healthz"]["statuses"] == {200: 2}
    assert pages["floor: GET /hub/account (signed in)"]["statuses"] == {200: 2}  # signed in
    for name in ("GET /hub/library: latest", "GET /hub/lessons/{ref}: staff, a triaged lesson"):
        assert pages[name] == library_web.ABSENT or pages[name]["statuses"] == {200: 2}


def test_a_run_writes_its_json_with_the_machine(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIHUB_BENCH_BACKENDS", "sqlite")
    written = tmp_path / "library.json"
    result = library.run(written, lessons=LESSONS, rounds=1)
    saved = json.loads(written.read_text())
    assert saved["lessons"] == LESSONS
    assert len(saved["machine"]["load_average"]) == 3
    sqlite = saved["backends"]["sqlite"]
    assert sqlite["register"]["lessons"] == LESSONS
    assert sqlite["worst_p95_ms"] > 0
    assert "meets_target" in saved
    assert "library search" in library.report(result)
