"""The learning library (`/qi search`): stemmed words, config-code filters, paging, and input
that can never break the query, on SQLite (FTS5) and PostgreSQL (tsvector) alike.

Lessons are inserted as ORM rows; their search text comes from the real lesson_search_text,
and the database's own index (FTS5 triggers, GIN expression index) does the rest.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from handlers.config import OrgConfig
from handlers.errors import UserError
from handlers.lessons.lifecycle import SEARCHABLE
from handlers.search import PAGE_SIZE, lesson_search_text, parse_query, search_page, search_reply
from handlers.visibility import EVERY_MEMBER_OF_STAFF as EVERYONE
from messages.text import render_reply
from messages.view import Buttons, Heading, Items, Notice, Reply, SmallPrint, all_text
from store.models import Action, Lesson, LessonOrgUnit, Staff
from store.repos.search import LessonFilter
from tests.harness import Harness

WHEN = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
TOM = "tom.baker@clatterbridge.example"


class Library:
    """Adds lessons (and actions) the way the lesson service would leave them."""

    def __init__(self, hub: Harness) -> None:
        self.hub = hub
        self.count = 0

    def add(
        self,
        title: str,
        *,
        happened: str = "Found during a routine check.",
        learned: str = "Check before use.",
        status: str = "in_progress",
        source: str = "lfpse_event",
        committee: str = "PSC",
        units: tuple[tuple[str, str], ...] = (),
        process: str | None = None,
        srg: str | None = None,
        actions: tuple[tuple[str, str, str | None], ...] = (),
        triaged: bool | None = None,
    ) -> str:
        """`actions` are (description, status, change) triples. A lesson is triaged unless
        it is still submitted or was merged at triage (or `triaged` says otherwise)."""
        self.count += 1
        ref = f"LL-2026-{self.count:04d}"
        with self.hub.app.uow_factory() as uow:
            owner = uow.session.scalar(select(Staff.id).where(Staff.email == TOM))
            assert owner is not None
            created = WHEN + timedelta(hours=self.count)
            lesson = Lesson(
                ref=ref,
                title=title,
                what_happened=happened,
                what_learned=learned,
                source=source,
                committee=committee,
                process=process,
                srg=srg,
                source_refs=[],
                mode="named",
                status=status,
                tiers=[],
                has_org_unit=bool(units),
                created_at=created,
                updated_at=created,
                status_changed_at=created,
                triaged_at=created
                if (status not in ("submitted", "merged") if triaged is None else triaged)
                else None,
            )
            lesson.org_units = [LessonOrgUnit(kind=k, code=c) for k, c in units]
            uow.session.add(lesson)
            uow.session.flush()
            rows = []
            for n, (description, action_status, change) in enumerate(actions, start=1):
                done = action_status in ("verified", "reaudit_scheduled", "closed")
                action = Action(
                    ref=f"ACT-2026-{self.count:03d}{n}",
                    lesson_id=lesson.id,
                    committee=committee,
                    tier=2,
                    description=description,
                    owner_id=owner,
                    due_date=date(2026, 12, 1),
                    status=action_status,
                    change=change,
                    evidence=f"Evidence: {change}" if change else None,
                    verified_at=created + timedelta(days=n) if done else None,
                    audiences=[],
                    created_at=created,
                    updated_at=created,
                    status_changed_at=created,
                )
                uow.session.add(action)
                rows.append(action)
            uow.session.flush()
            lesson.search_text = lesson_search_text(lesson, rows, self.hub.app.config)
            uow.commit()
        return ref

    def set_text(self, ref: str, **fields: str) -> None:
        """Edit a lesson and refresh its search text, as the lesson service does."""
        with self.hub.app.uow_factory() as uow:
            lesson = uow.session.scalar(select(Lesson).where(Lesson.ref == ref))
            assert lesson is not None
            for key, value in fields.items():
                setattr(lesson, key, value)
            actions = uow.session.scalars(select(Action).where(Action.lesson_id == lesson.id))
            lesson.search_text = lesson_search_text(lesson, list(actions), self.hub.app.config)
            uow.commit()


@pytest.fixture
def library(hub: Harness) -> Library:
    return Library(hub)


def search(hub: Harness, text: str, page: int = 1) -> Reply:
    with hub.app.uow_factory() as uow:
        return search_reply(uow, hub.app.config, text, page)


def found(hub: Harness, text: str, page: int = 1) -> list[str]:
    reply = search(hub, text, page)
    return [item.ref for block in reply.blocks if isinstance(block, Items) for item in block.items]


# ---------------------------------------------------------------------- the search text


def test_search_text_holds_labels_names_and_only_verified_changes(
    hub: Harness, library: Library
) -> None:
    library.add(
        "Flush syringes mixed up",
        source="complaint",
        committee="PEC",
        units=(("site", "halton"), ("department", "ward-4")),
        process="medicines-storage",
        srg="breast",
        actions=(
            ("Colour-code the flush labels", "verified", "Pharmacy now supplies coloured labels"),
            ("Teach the new labels at huddles", "in_progress", "Not yet done at huddles"),
        ),
    )
    with hub.app.uow_factory() as uow:
        text = uow.session.scalar(select(Lesson.search_text))
    assert text is not None
    for expected in (
        "Flush syringes mixed up",
        "Found during a routine check.",
        "Complaint",
        "Patient Experience Committee",
        "Halton SACT unit",
        "Ward 4 (inpatients)",
        "Medicines storage",
        "Breast",
        "Colour-code the flush labels",
        "Pharmacy now supplies coloured labels",
        "Teach the new labels at huddles",
    ):
        assert expected in text
    assert "Not yet done at huddles" not in text  # not verified: not "what changed"


# ---------------------------------------------------------------------- words


def test_words_match_stemmed_in_any_order(hub: Harness, library: Library) -> None:
    labelled = library.add("Labelling of flush syringes", happened="Two syringes looked alike.")
    library.add("Oxygen cylinder empty on transfer")
    assert found(hub, "labels") == [labelled]
    assert found(hub, "syringe LABEL") == [labelled]
    assert found(hub, "labels oxygen") == []  # every word must match
    assert found(hub, "cylinders") != []


def test_common_words_are_ignored_alike_on_both_backends(hub: Harness, library: Library) -> None:
    fall = library.add("Fall in the bathroom", happened="Patient found on floor of ward 5.")
    assert found(hub, "falls on the ward") == [fall]


def test_best_match_first(hub: Harness, library: Library) -> None:
    passing = library.add(
        "Discharge letter delayed",
        happened="A long account of a discharge where, among many other things, the pump "
        "settings were mentioned once in passing at the very end of a busy shift.",
    )
    central = library.add("Pump settings wrong", happened="Pump settings wrong; pump alarm off.")
    assert found(hub, "pump") == [central, passing]


def test_what_changed_comes_from_the_verified_action(hub: Harness, library: Library) -> None:
    library.add(
        "Flush syringes mixed up",
        actions=(
            ("Colour-code the flush labels", "verified", "Coloured labels on every flush"),
            ("Re-audit", "in_progress", None),
        ),
    )
    library.add("Flush given late", actions=(("Review the timing", "in_progress", None),))
    text = render_reply(search(hub, "flush")).text
    assert "what changed: Coloured labels on every flush" in text
    assert "no verified change yet" in text
    assert "Patient Safety Committee · Actions in progress" in text


def test_each_result_has_an_open_button(hub: Harness, library: Library) -> None:
    ref = library.add("Flush syringes mixed up")
    reply = search(hub, "flush")
    (items,) = [b for b in reply.blocks if isinstance(b, Items)]
    (button,) = items.items[0].buttons
    assert (button.label, button.action, dict(button.value)) == (
        "Open",
        "lesson.show",
        {"ref": ref},
    )


def test_edits_to_the_search_text_are_found(hub: Harness, library: Library) -> None:
    ref = library.add("Oxygen cylinder empty")
    assert found(hub, "tourniquet") == []
    library.set_text(ref, title="Tourniquet left on after cannulation")
    assert found(hub, "tourniquet") == [ref]
    assert found(hub, "oxygen") == []


# ---------------------------------------------------------------------- which lessons


def test_only_searchable_statuses_are_in_the_library(hub: Harness, library: Library) -> None:
    shown = {
        library.add("Flush mix-up decided", status=status): status
        for status in ("triaged", "in_progress", "closed", "not_progressed", "reopened")
    }
    library.add("Flush mix-up just submitted", status="submitted")  # not yet de-identified
    library.add("Flush mix-up merged", status="merged")
    # refused at triage: never checked for patient data, so never in the library
    library.add("Flush mix-up refused at triage", status="not_progressed", triaged=False)
    assert sorted(found(hub, "flush")) == sorted(shown)


# ---------------------------------------------------------------------- filters


@pytest.fixture
def mixed(library: Library) -> dict[str, str]:
    return {
        "complaint_pec": library.add(
            "Flush complaint", source="complaint", committee="PEC", srg="breast"
        ),
        "audit_cec": library.add(
            "Flush audit", source="clinical_audit", committee="CEC", units=(("site", "wirral"),)
        ),
        "ward4": library.add("Flush on ward 4", units=(("department", "ward-4"),), srg="breast"),
        "halton": library.add("Flush at Halton", units=(("site", "halton"),)),
        "liverpool_site": library.add("Flush at Liverpool", units=(("site", "liverpool"),)),
    }


def test_filters_by_source_committee_srg_and_unit(hub: Harness, mixed: dict[str, str]) -> None:
    assert found(hub, "flush source:complaint") == [mixed["complaint_pec"]]
    assert found(hub, "flush committee:cec") == [mixed["audit_cec"]]
    assert sorted(found(hub, "srg:breast")) == sorted([mixed["complaint_pec"], mixed["ward4"]])
    assert found(hub, "flush unit:ward-4") == [mixed["ward4"]]
    assert found(hub, "unit:halton") == [mixed["halton"]]


def test_a_site_includes_its_departments(hub: Harness, mixed: dict[str, str]) -> None:
    assert sorted(found(hub, "unit:liverpool")) == sorted([mixed["ward4"], mixed["liverpool_site"]])


def test_filters_combine_with_each_other_and_with_words(
    hub: Harness, mixed: dict[str, str]
) -> None:
    assert found(hub, "srg:breast committee:PSC") == [mixed["ward4"]]
    assert found(hub, "complaint srg:breast") == [mixed["complaint_pec"]]
    assert found(hub, "audit srg:breast") == []
    assert found(hub, "flush source:complaint committee:psc") == []


def test_filter_codes_are_checked_against_the_config(config: OrgConfig) -> None:
    words, filters = parse_query("Flush labels committee:psc UNIT:Ward-4", config)
    assert words == ["flush", "labels"]
    assert (filters.committee, filters.unit) == ("PSC", "ward-4")
    with pytest.raises(UserError, match=r"committee: was given 'XYZ'.*PSC, PEC, CEC"):
        parse_query("flush committee:XYZ", config)
    with pytest.raises(UserError, match=r"unit: was given 'mars'.*site or department.*ward-4"):
        parse_query("unit:mars", config)
    with pytest.raises(UserError, match=r"source: was given nothing"):
        parse_query("source:", config)
    with pytest.raises(UserError, match="once"):
        parse_query("srg:breast srg:lung", config)
    # A colon after any other word is just text.
    assert parse_query("ratio 1:2 http://x", config)[0] == ["ratio", "1", "2", "http", "x"]


# ---------------------------------------------------------------------- paging


def test_ten_per_page_with_a_next_page_button(hub: Harness, library: Library) -> None:
    refs = [library.add(f"Flush incident number {n}") for n in range(23)]
    first = search(hub, "flush")
    assert first.summary == "23 lessons match 'flush'"
    assert len(found(hub, "flush")) == PAGE_SIZE
    (context,) = [b for b in first.blocks if isinstance(b, SmallPrint)]
    assert context.text == "Lessons 1-10 of 23 · page 1 of 3"
    (buttons,) = [b for b in first.blocks if isinstance(b, Buttons)]
    (more,) = buttons.buttons
    assert (more.action, dict(more.value)) == ("search.page", {"q": "flush", "page": "2"})
    pages = [found(hub, "flush", page) for page in (1, 2, 3)]
    assert [len(p) for p in pages] == [10, 10, 3]
    assert sorted(ref for page in pages for ref in page) == sorted(refs)
    with hub.app.uow_factory() as uow:
        third = search_page(uow, hub.app.config, more.value | {"page": "3"})
    assert not [b for b in third.blocks if isinstance(b, Buttons)]  # last page
    assert search(hub, "flush", 4).summary == "No lessons match 'flush' on page 4."
    with hub.app.uow_factory() as uow:  # past the last page the total still comes back
        past = uow.search.search(["flush"], LessonFilter(), SEARCHABLE, 30, 10, EVERYONE)
    assert past == ([], 23)


# ---------------------------------------------------------------------- hostile input


HOSTILE = [
    '"',
    '""',
    '"flush',
    "*",
    "flush*",
    "NEAR(",
    "NEAR(flush labels, 2)",
    "AND OR NOT",
    "flush AND OR NOT labels",
    "flush OR",
    "-flush",
    "!flush & labels | (",
    "(",
    ")",
    "^flush",
    "{title}: flush",
    "search_text:flush",
    "lesson_fts",
    "'; DROP TABLE lesson; --",
    "flush\x00labels",
    "💊 ünïcödé 漢字 flüsh",
    "café",
    "flush " * 200,
    "x" * 5000,
    ":",
    "::::",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_input_never_raises(hub: Harness, library: Library, text: str) -> None:
    library.add("Flush labels mixed up", happened="Café trolley near the ward.")
    reply = search(hub, text)
    assert isinstance(reply, Reply) and reply.summary
    # Only what was understood is echoed: short, printable, fit for a header or a button.
    assert all(len(t) <= 700 and t.isprintable() for t in all_text(reply))
    heading = [b.text for b in reply.blocks if isinstance(b, Heading)]
    assert all(len(h) <= 150 for h in heading)


def test_hostile_words_still_match_as_plain_words(hub: Harness, library: Library) -> None:
    ref = library.add("Flush labels mixed up", happened="Near the café trolley, not the ward.")
    assert found(hub, "NEAR(flush labels)") == [ref]  # "near" is a word in the text
    assert found(hub, '"flush') == [ref]
    assert found(hub, "flush*") == [ref]
    assert found(hub, "cafe") == [ref]  # accents fold on both backends
    assert found(hub, "flush -labels") == [ref]  # "-" is not negation here
    assert search(hub, 'NEAR(flush "labels*').summary == "1 lesson matches 'near flush labels'"


def test_nothing_to_search_for_gives_a_hint(hub: Harness) -> None:
    for text in ("", "   ", "the and of", "*** ((("):
        reply = search(hub, text)
        (notice,) = reply.blocks
        assert isinstance(notice, Notice) and notice.text == (
            "The learning library has no lessons yet. To search, give some words, e.g. "
            "/qi search flush labels, and optionally source:, committee:, srg: or unit: with a "
            "code from the config."
        )


def test_nothing_to_search_for_shows_the_latest_lessons(hub: Harness, library: Library) -> None:
    """The home page's "Search what changed" button: the latest lessons, no warning."""
    older = library.add("Flush labels mixed up")
    newer = library.add("Oxygen cylinder left open")
    reply = search(hub, "")
    assert found(hub, "") == [newer, older]
    assert not any(isinstance(b, Notice) for b in reply.blocks)
    assert reply.summary == "The latest lessons in the learning library"
    assert "To search, give some words" in " ".join(all_text(reply))
