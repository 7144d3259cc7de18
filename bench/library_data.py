"""A learning library of N lessons for the library benchmark (bench/library.py), seeded fast.

Rows go in through SQLAlchemy Core executemany, CHUNK lessons (and their units, submitters and
actions) per transaction, with progress printed; ids are assigned here. Each lesson's
`search_text` is made by the app's own `handlers.search.lesson_search_text` from the lesson and
all its actions, as `refresh_search` keeps it, so the full-text index (a GIN expression index on
PostgreSQL, FTS5 kept by triggers on SQLite: migration 0002) holds what it would in a trust.

The register looks like two years of a trust's lessons: every committee, source, SRG, site and
department; statuses by age (a fortnight's lessons mostly still untriaged, old ones closed);
`triaged_at` set once a governance lead has checked a lesson (what the library may show); a few
actions per decided lesson, the finished ones verified with the change they made. The words
follow a long tail: "patient" is in most lessons (committee names and sources carry it),
"handover" in about one in twelve, and each of RARE in about one lesson in RARE_EVERY.

On PostgreSQL the register is kept between runs (seeding 100,000 lessons takes minutes on a
shared machine): each size lives in its own schema, marked complete by a comment on the schema
once every row is in and VACUUM ANALYZE has run, and reused while the mark matches SEED_VERSION.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, Table, func, select, text
from sqlalchemy.engine import make_url

from bench import data
from handlers.actions.lifecycle import DONE
from handlers.config import OrgConfig
from handlers.search import lesson_search_text
from store.db import make_engine
from store.models import Action, Lesson, LessonOrgUnit, LessonSubmitter, Staff

SEED_VERSION = "library-v1"
"""Change when the generator changes, so a kept PostgreSQL register is seeded again."""
CHUNK = 5000
RARE = ("extravasation", "tracheostomy", "hypercalcaemia", "leucovorin")
RARE_EVERY = 5000
"""Each rare word is in about one lesson in this many (20 at 100,000)."""
LIBRARY_DB = "bench_library"
"""The benchmark's own PostgreSQL database (next to the shared test database, never in it)."""

Progress = Callable[[str], None]

# ---------------------------------------------------------------- words

_PROBLEMS = (
    "Delayed",
    "Missed",
    "Wrong",
    "Duplicated",
    "Late",
    "Incomplete",
    "Unclear",
    "Unsigned",
    "Incorrect",
    "Lost",
)
_THINGS = (
    ("handover", 8),
    ("prescription check", 6),
    ("allergy record", 5),
    ("consent form", 5),
    ("discharge letter", 6),
    ("scan booking", 4),
    ("dose banding", 3),
    ("line flush", 3),
    ("ID band check", 4),
    ("MSCC referral", 2),
    ("fridge temperature log", 2),
    ("falls assessment", 4),
    ("blood results review", 4),
    ("SACT cycle authorisation", 3),
    ("radiotherapy plan check", 2),
    ("transport booking", 2),
    ("interpreter request", 1),
    ("pressure ulcer assessment", 2),
    ("sepsis screen", 3),
    ("neutropenic sepsis pathway", 2),
)
_ROLES = ("nurse", "pharmacist", "registrar", "radiographer", "porter", "ward clerk", "consultant")
_WHEN = ("on a night shift", "at the weekend", "during a bank holiday", "at shift change", "")
_CONSEQUENCE = (
    "The patient's treatment was delayed by a day.",
    "No harm reached the patient; it was caught at the bedside.",
    "The patient was distressed and the family raised a complaint.",
    "The patient needed an extra night in hospital.",
    "It was found on the next ward round.",
    "The clinic ran an hour late as a result.",
)
_LEARNED = (
    "A second check at the point of care would have caught it.",
    "The checklist did not cover the weekend pathway.",
    "Two systems held different versions of the record.",
    "Staff were unaware of the updated guideline.",
    "The alert was shown but easy to dismiss.",
    "Handover happened away from the patient record.",
    "Agency staff had no log-in to the prescribing system.",
    "The form allowed the field to be left blank.",
    "Nobody owned the task once the patient moved wards.",
    "Good practice: the team's huddle spotted it early and escalated.",
)
_ACTIONS = (
    "Add a mandatory field to the electronic form",
    "Brief every shift at the safety huddle",
    "Replace the paper log with an automated monitor",
    "Build a one-page cognitive aid for the critical steps",
    "Re-label the storage and re-audit in three months",
    "Update the standard operating procedure",
    "Add the check to the electronic handover template",
    "Teach the pathway at induction for new starters",
)
_CHANGES = (
    "Relabelled the storage; the re-audit found no errors in 40 checks.",
    "The electronic form now refuses a blank field.",
    "Huddle briefing delivered on every shift for a month; attendance logged.",
    "Automated fridge monitor installed with alerts to the on-call pharmacist.",
    "Cognitive aid laminated at every bedside; audit of 20 records showed full use.",
    "Standard operating procedure version 3 issued and read by all staff.",
)
_DRUGS = (
    ("carboplatin", 6),
    ("paclitaxel", 5),
    ("capecitabine", 5),
    ("oxaliplatin", 4),
    ("pembrolizumab", 4),
    ("trastuzumab", 3),
    ("docetaxel", 3),
    ("cisplatin", 3),
    ("gemcitabine", 2),
    ("rituximab", 2),
    ("nivolumab", 2),
    ("etoposide", 1),
)

# ---------------------------------------------------------------- statuses

_STATUS_RECENT = (("submitted", 55), ("triaged", 25), ("decided", 10), ("in_progress", 10))
_STATUS_MONTHS = (
    ("submitted", 2),
    ("triaged", 8),
    ("decided", 8),
    ("in_progress", 50),
    ("awaiting_assurance", 10),
    ("reopened", 2),
    ("not_progressed", 8),
    ("merged", 3),
    ("closed", 9),
)
_STATUS_OLD = (
    ("submitted", 1),
    ("in_progress", 20),
    ("awaiting_assurance", 6),
    ("monitoring", 10),
    ("reopened", 1),
    ("not_progressed", 8),
    ("merged", 4),
    ("closed", 50),
)
_DECIDED = frozenset({"decided", "in_progress", "awaiting_assurance", "monitoring", "closed"})
_ACTION_FOR = {
    "decided": (("assigned", 70), ("in_progress", 30)),
    "in_progress": (("assigned", 10), ("in_progress", 45), ("blocked", 5), ("verified", 40)),
    "reopened": (("in_progress", 50), ("verified", 40), ("reaudit_failed", 10)),
    "awaiting_assurance": (("verified", 80), ("reaudit_scheduled", 20)),
    "monitoring": (("reaudit_scheduled", 60), ("verified", 40)),
    "closed": (("closed", 60), ("verified", 35), ("cancelled", 5)),
}
_ACTION_COUNT = ((1, 25), (2, 35), (3, 25), (4, 10), (5, 5))


@dataclass
class Seeded:
    lessons: int = 0
    actions: int = 0
    untriaged: int = 0
    searchable: int = 0
    verified_changes: int = 0
    seconds: float = 0.0
    reused: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "lessons": self.lessons,
            "actions": self.actions,
            "untriaged_lessons": self.untriaged,
            "library_lessons": self.searchable,
            "verified_changes": self.verified_changes,
            "seed_s": round(self.seconds, 1),
            "reused": self.reused,
        }


class _Builder:
    """Rows for one chunk of lessons at a time, from one seeded stream."""

    def __init__(self, connection: Connection, config: OrgConfig, seed: int) -> None:
        self.config = config
        self.rng = random.Random(seed)
        self.staff = list(connection.execute(select(Staff.id).order_by(Staff.id)).scalars())
        if not self.staff:
            raise RuntimeError("no staff: open the hub with data.open_hub() first")
        self.next_lesson = (connection.execute(select(func.max(Lesson.id))).scalar() or 0) + 1
        self.next_action = (connection.execute(select(func.max(Action.id))).scalar() or 0) + 1
        self.committees = list(config.committees)
        self.sources = {
            c: [k for k, s in config.lesson_sources.items() if s.committee in (c, None)]
            for c in self.committees
        }
        self.departments = list(config.departments)
        self.sites = list(config.sites)
        self.processes = list(config.processes)
        self.srgs = list(config.srgs)
        self.harms = list(config.harm_levels) or [None]
        self.pick_committee = data._Pick([("PSC", 45), ("PEC", 30), ("CEC", 25)])
        self.pick_thing = data._Pick(_THINGS)
        self.pick_drug = data._Pick(_DRUGS)
        self.pick_count = data._Pick(_ACTION_COUNT)
        self.by_age = (
            data._Pick(_STATUS_RECENT),
            data._Pick(_STATUS_MONTHS),
            data._Pick(_STATUS_OLD),
        )
        self.action_status = {k: data._Pick(v) for k, v in _ACTION_FOR.items()}
        self.refs: dict[tuple[str, int], int] = {}
        self.seeded = Seeded()

    def _ref(self, prefix: str, year: int) -> str:
        number = self.refs.get((prefix, year), 0) + 1
        self.refs[(prefix, year)] = number
        return f"{prefix}-{year}-{number:05d}"

    def _words(self, department: str | None) -> tuple[str, str, str]:
        rng = self.rng
        place = self.config.departments[department].name if department else "the ward"
        thing = self.pick_thing(rng)
        title = f"{rng.choice(_PROBLEMS)} {thing} on {place}"[:150]
        sentences = [
            f"The {thing} was not done as planned {rng.choice(_WHEN)}".rstrip() + ".",
            f"A {rng.choice(_ROLES)} noticed when the patient arrived for {self.pick_drug(rng)}."
            if rng.random() < 0.4
            else f"A {rng.choice(_ROLES)} noticed it while reviewing the patient record.",
            rng.choice(_CONSEQUENCE),
        ]
        for word in RARE:
            if rng.random() < 1 / RARE_EVERY:
                sentences.append(f"The incident involved {word}.")
        learned = rng.choice(_LEARNED)
        if rng.random() < 0.3:
            learned += " " + rng.choice(_LEARNED)
        return title, " ".join(sentences), learned

    def _status(self, age_days: float) -> str:
        pick = self.by_age[0 if age_days < 14 else 1 if age_days < 120 else 2]
        status: str = pick(self.rng)
        return status

    def chunk(self, ages: Sequence[float], now: datetime) -> dict[str, list[dict[str, Any]]]:
        rows: dict[str, list[dict[str, Any]]] = {
            "lesson": [],
            "lesson_org_unit": [],
            "lesson_submitter": [],
            "action": [],
        }
        for age in ages:
            self._lesson(rows, now - timedelta(days=age), age)
        return rows

    def _lesson(self, rows: dict[str, list[dict[str, Any]]], created: datetime, age: float) -> None:
        rng, config = self.rng, self.config
        lesson_id = self.next_lesson
        self.next_lesson += 1
        committee = self.pick_committee(rng)
        status = self._status(age)
        changed = created + timedelta(days=rng.random() * min(age, 60))
        department = rng.choice(self.departments) if rng.random() < 0.75 else None
        units = [("department", department)] if department else []
        if rng.random() < 0.3:
            units.append(("site", rng.choice(self.sites)))
        title, happened, learned = self._words(department)
        triaged = status != "submitted" and (
            status not in ("not_progressed", "merged") or rng.random() < 0.7
        )
        named = rng.random() < 0.8
        lesson = Lesson(
            title=title,
            what_happened=happened,
            what_learned=learned,
            source=rng.choice(self.sources[committee]),
            committee=committee,
            process=rng.choice(self.processes) if rng.random() < 0.6 else None,
            srg=rng.choice(self.srgs) if rng.random() < 0.5 else None,
        )
        lesson.org_units = [LessonOrgUnit(kind=k, code=c) for k, c in units]
        actions = self._actions(rows, lesson_id, committee, status, created)
        decided = status in _DECIDED or status == "reopened"
        rows["lesson"].append(
            {
                "id": lesson_id,
                "ref": self._ref("LL", created.year),
                "title": title,
                "what_happened": happened,
                "what_learned": learned,
                "source": lesson.source,
                "committee": committee,
                "process": lesson.process,
                "srg": lesson.srg,
                "harm_level": rng.choice(self.harms),
                "source_refs": [],
                "mode": "named" if named else "anonymous",
                "receipt_hash": None if named else f"library-{lesson_id:012d}",
                "status": status,
                "status_reason": None,
                "reporter_message": None,
                "committee_note": "Checked at triage." if triaged else None,
                "triaged_at": created + (changed - created) / 2 if triaged else None,
                "tiers": sorted(rng.sample([1, 2, 3, 4], rng.randint(1, 3))) if decided else [],
                "rationale": "Agreed at committee." if decided else None,
                "merged_into_id": None,
                "has_org_unit": bool(units),
                "tier5_at": None,
                "created_at": created,
                "updated_at": changed,
                "status_changed_at": changed,
                "search_text": lesson_search_text(lesson, actions, config),
            }
        )
        rows["lesson_org_unit"] += [
            {"lesson_id": lesson_id, "kind": k, "code": c} for k, c in units
        ]
        if named:
            rows["lesson_submitter"].append(
                {"lesson_id": lesson_id, "staff_id": rng.choice(self.staff)}
            )
        s = self.seeded
        s.lessons += 1
        s.untriaged += not triaged
        s.searchable += triaged and status not in ("submitted", "merged")

    def _actions(
        self,
        rows: dict[str, list[dict[str, Any]]],
        lesson_id: int,
        committee: str,
        status: str,
        created: datetime,
    ) -> list[Action]:
        pick = self.action_status.get(status)
        if pick is None:
            return []
        rng, made = self.rng, []
        for _ in range(self.pick_count(rng)):
            action_status = pick(rng)
            done = action_status in DONE
            tier = rng.choice((1, 2, 3, 4))
            due = (created + timedelta(days=rng.randint(14, 180))).date()
            verified_at = created + timedelta(days=rng.randint(20, 200)) if done else None
            row = {
                "id": self.next_action,
                "ref": self._ref("ACT", created.year),
                "lesson_id": lesson_id,
                "committee": committee,
                "tier": tier,
                "description": rng.choice(_ACTIONS),
                "owner_id": rng.choice(self.staff),
                "due_date": due,
                "due_version": 1,
                "measure": "Monthly audit of 20 records",
                "has_measure": True,
                "verifier_id": rng.choice(self.staff),
                "status": action_status,
                "evidence": "Audit attached." if done else None,
                "completed_at": verified_at - timedelta(days=2) if verified_at else None,
                "verified_at": verified_at,
                "verified_by_id": rng.choice(self.staff) if done else None,
                "change": rng.choice(_CHANGES) if done and rng.random() < 0.8 else None,
                "reaudit_date": due + timedelta(days=90) if tier == 1 else None,
                "audiences": [],
                "extension_count": 0,
                "created_at": created,
                "updated_at": verified_at or created,
                "status_changed_at": verified_at or created,
            }
            self.next_action += 1
            rows["action"].append(row)
            self.seeded.actions += 1
            self.seeded.verified_changes += row["change"] is not None
            made.append(
                Action(
                    description=row["description"],
                    status=action_status,
                    evidence=row["evidence"],
                    change=row["change"],
                )
            )
        return made


_TABLES: dict[str, Table] = {
    "lesson": Lesson.__table__,
    "lesson_org_unit": LessonOrgUnit.__table__,
    "lesson_submitter": LessonSubmitter.__table__,
    "action": Action.__table__,
}


def seed(
    engine: Engine,
    config: OrgConfig,
    lessons: int,
    *,
    seed_number: int = 1,
    now: datetime = data.NOW,
    progress: Progress = print,
) -> Seeded:
    """Add `lessons` lessons (and their actions) to a migrated database holding the staff."""
    started = time.perf_counter()
    with engine.connect() as connection:
        builder = _Builder(connection, config, seed_number)
    rng = random.Random(f"ages-{seed_number}")
    ages = sorted((rng.random() * 730 for _ in range(lessons)), reverse=True)  # ids follow time
    for start in range(0, lessons, CHUNK):
        rows = builder.chunk(ages[start : start + CHUNK], now)
        with engine.begin() as connection:
            for name, table in _TABLES.items():
                if rows[name]:
                    connection.execute(table.insert(), rows[name])
        done = min(start + CHUNK, lessons)
        progress(
            f"  seeded {done:,} of {lessons:,} lessons ({time.perf_counter() - started:.0f} s)"
        )
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            for name in ("lesson", "action"):
                connection.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"coalesce((SELECT max(id) FROM {name}), 0) + 1, false)"
                    )
                )
    settle(engine)
    builder.seeded.seconds = time.perf_counter() - started
    return builder.seeded


def settle(engine: Engine) -> None:
    """What autovacuum does within minutes of a load or a table rewrite on PostgreSQL (the
    planner's statistics, and the visibility map that lets a count read an index alone): the
    shared test server runs with autovacuum off, so the benchmark does it, on its own tables
    only. On SQLite, ANALYZE, as QI Hub runs after migrating."""
    if engine.dialect.name != "postgresql":
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        names = [*_TABLES, "lesson_fts"]  # the search table (migration 0031; not a model)
        connection.exec_driver_sql("VACUUM ANALYZE " + ", ".join(f'"{n}"' for n in names))


# ---------------------------------------------------------------- kept PostgreSQL registers


def library_pg_url() -> str:
    """The benchmark's own database on the server of data.pg_url() (QIHUB_BENCH_PG_URL, else
    TEST_DATABASE_URL, else localhost)."""
    return make_url(data.pg_url()).set(database=LIBRARY_DB).render_as_string(hide_password=False)


def ensure_pg_database() -> None:
    """CREATE DATABASE bench_library unless it exists (outside a transaction, as it must be)."""
    admin = make_engine(data.pg_url()).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            found = connection.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": LIBRARY_DB}
            ).first()
            if found is None:
                connection.exec_driver_sql(f'CREATE DATABASE "{LIBRARY_DB}"')
    finally:
        admin.dispose()


def pg_schema(lessons: int) -> str:
    return f"library_{lessons}"


def pg_register_url(lessons: int) -> str:
    url = make_url(library_pg_url())
    options = f"-csearch_path={pg_schema(lessons)}"
    return url.update_query_dict({"options": options}).render_as_string(hide_password=False)


def _mark(lessons: int, seeded: Seeded) -> str:
    counts = (seeded.actions, seeded.untriaged, seeded.searchable, seeded.verified_changes)
    return " ".join([SEED_VERSION, str(lessons), *map(str, counts), f"{seeded.seconds:.1f}"])


def kept_pg_register(lessons: int) -> Seeded | None:
    """What the kept register of this size holds, if it was seeded completely by this version."""
    engine = make_engine(library_pg_url())
    try:
        with engine.connect() as connection:
            comment = connection.execute(
                text(
                    "SELECT obj_description(oid, 'pg_namespace') FROM pg_namespace "
                    "WHERE nspname = :name"
                ),
                {"name": pg_schema(lessons)},
            ).scalar()
    finally:
        engine.dispose()
    parts = (comment or "").split()
    if len(parts) != 7 or parts[0] != SEED_VERSION or parts[1] != str(lessons):
        return None
    numbers = [int(p) for p in parts[2:6]]
    return Seeded(lessons, *numbers, seconds=float(parts[6]), reused=True)


def reset_pg_schema(lessons: int) -> None:
    """An empty schema for a new register of this size (only the benchmark's own schema)."""
    schema = pg_schema(lessons)
    engine = make_engine(library_pg_url())
    try:
        with engine.begin() as connection:
            connection.exec_driver_sql(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
            connection.exec_driver_sql(f'CREATE SCHEMA "{schema}"')
    finally:
        engine.dispose()


def mark_pg_register(lessons: int, seeded: Seeded) -> None:
    engine = make_engine(library_pg_url())
    try:
        with engine.begin() as connection:
            comment = _mark(lessons, seeded).replace("'", "")
            connection.exec_driver_sql(f"COMMENT ON SCHEMA \"{pg_schema(lessons)}\" IS '{comment}'")
    finally:
        engine.dispose()
