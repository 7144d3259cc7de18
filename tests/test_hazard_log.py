"""The hazard log's evidence means what it says.

The log is data (docs/clinical-safety/hazards.yaml, read by bot.safety). Here: its own rules hold;
the markdown people read is generated from it; the matrix is the risk management plan's; every
cited test collects in a real pytest run, is not skipped in CI (PostgreSQL-only tests are marked
so, and CI sets TEST_DATABASE_URL), carries a one-line `proves`, and its source contains the
words that tie it to its control; every code symbol a control names exists; `qihub safety
export` writes the CSV a trust's DCB0160 file takes, from any directory, formulas neutralised.
"""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.safety import (
    ACCEPTABILITY,
    DATA,
    LIKELIHOODS,
    MATRIX,
    SEVERITIES,
    Assessment,
    Control,
    Evidence,
    Hazard,
    HazardLog,
    export_csv,
    load,
    markdown,
    problems,
)
from handlers.config import ConfigError
from messages.csv_safe import neutralise

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs" / "clinical-safety"
LOG = load()
EVIDENCE = [
    (control, evidence)
    for hazard in LOG.hazards
    for control in hazard.controls
    for evidence in control.evidence
]
REQUIRED = {
    # Step 6: the hazards the first log had to cover
    "H1": "critical alert is not seen", "H2": "wrong audience", "H3": "duplicate or flooding",
    "H4": "reminder or escalation is not sent", "H5": "wrong owner", "H6": "patient-identifiable",
    "H7": "impersonates", "H8": "unavailable",
    # Step 8 review (issue 13)
    "H9": "readable by every member of staff before triage", "H10": "guard is bypassed",
    "H11": "anonymous submitter is identified", "H12": "internal triage note",
    "H13": "privilege escalation", "H14": "double submit", "H15": "teams without credentials",
    "H16": "unbounded request body", "H17": "spreadsheet formula", "H18": "/metrics is open",
    # the outside review
    "H19": "approved after its deadline", "H20": "held by quiet hours",
    "H21": "directory error", "H22": "clock stops", "H23": "instead of lfpse",
    "H24": "playground mode",
}  # fmt: skip


# ------------------------------------------------------------------ the log's own rules
def test_the_log_keeps_its_own_rules() -> None:
    assert problems(LOG) == []


def test_every_hazard_the_reviews_found_is_logged_and_none_was_dropped() -> None:
    titles = {h.id: h.title.lower() for h in LOG.hazards}
    for hazard_id, words in REQUIRED.items():
        assert words in titles.get(hazard_id, ""), f"{hazard_id} should be about '{words}'"


def test_ratings_are_never_typed_in_the_data() -> None:
    def keys(node: Any) -> set[str]:
        if isinstance(node, dict):
            return set(node) | {k for value in node.values() for k in keys(value)}
        if isinstance(node, list):
            return {k for value in node for k in keys(value)}
        return set()

    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    assert not {"rating", "risk", "score"} & keys(raw)


def test_the_matrix_is_the_one_the_plan_states() -> None:
    """The plan's table, read back, is the matrix the code looks ratings up in."""
    plan = (DOCS / "risk-management-plan.md").read_text(encoding="utf-8")
    rows = {}
    for likelihood in LIKELIHOODS:
        match = re.search(rf"^\| \*\*{likelihood}\*\* \|((?: \d \|){{5}})$", plan, flags=re.M)
        assert match, f"the plan's matrix has no row for {likelihood}"
        rows[likelihood] = tuple(int(n) for n in re.findall(r"\d", match.group(1)))
    assert rows == MATRIX
    header = re.search(r"^\| Likelihood ↓ / Severity → \|(.*)\|$", plan, flags=re.M)
    assert header and [c.strip() for c in header.group(1).split("|")] == list(SEVERITIES)
    for level, words in ACCEPTABILITY.items():
        assert words.split(":")[0] in plan, level
    # DCB0129's matrix: rises with severity and with likelihood, corners 1 and 5.
    assert MATRIX["Very low"][0] == 1 and MATRIX["Very high"][4] == 5
    for likelihood in LIKELIHOODS:
        assert list(MATRIX[likelihood]) == sorted(MATRIX[likelihood])
    for column in range(5):
        assert [MATRIX[k][column] for k in LIKELIHOODS] == sorted(
            MATRIX[k][column] for k in LIKELIHOODS
        )


def test_the_markdown_is_generated_from_the_data() -> None:
    on_disk = (DOCS / "hazard-log.md").read_text(encoding="utf-8")
    assert on_disk == markdown(LOG), (
        "hazard-log.md is out of date: qihub safety markdown -o docs/clinical-safety/hazard-log.md"
    )


# ------------------------------------------------------------------ the rules catch breaches
def _hazard(**changes: Any) -> Hazard:
    base: dict[str, Any] = {
        "id": "H1",
        "title": "t",
        "causes": ("c",),
        "effect": "e",
        "clinical_impact": "i",
        "initial": Assessment(severity="Major", likelihood="High"),
        "residual": Assessment(severity="Major", likelihood="High"),
        "status": "open",
        "controls": (
            Control(id="H1.1", text="x", owner="manufacturer", status="planned", issue=13),
        ),
    }
    return Hazard(**{**base, **changes})


def _log(*hazards: Hazard) -> HazardLog:
    return HazardLog(version="0", date=LOG.date, hazards=hazards)


def test_a_lowered_residual_needs_a_justification_naming_a_control_in_place() -> None:
    lower = Assessment(severity="Major", likelihood="Low")
    assert "H1: the residual risk is lowered without a justification" in problems(
        _log(_hazard(residual=lower))
    )
    planned = _hazard(residual=lower, reduced_by=("H1.1",), justification="H1.1 fixes it")
    assert "H1: H1.1 is planned, so it cannot lower the residual risk" in problems(_log(planned))
    worse = _hazard(residual=Assessment(severity="Catastrophic", likelihood="High"))
    assert "H1: the residual assessment is worse than the initial one" in problems(_log(worse))
    closed = _hazard(status="mitigated")
    assert any("'mitigated' with a residual rating of 4" in p for p in problems(_log(closed)))


def test_a_typed_rating_or_an_unknown_level_is_refused(tmp_path: Path) -> None:
    raw = yaml.safe_load(DATA.read_text(encoding="utf-8"))
    raw["hazards"][0]["initial"]["rating"] = 1
    (tmp_path / "typed.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("hazards.0.initial.rating")):
        load(tmp_path / "typed.yaml")
    raw["hazards"][0]["initial"] = {"severity": "Moderate", "likelihood": "Low"}
    (tmp_path / "level.yaml").write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape("hazards.0.initial.severity")):
        load(tmp_path / "level.yaml")


# ------------------------------------------------------------------ the evidence
def _function_source(test_id: str) -> str | None:
    """The cited test function's source, decorators included (parametrised cases count)."""
    path, name = test_id.split("::")
    file = ROOT / path
    if not file.exists():
        return None
    source = file.read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if isinstance(node, ast.FunctionDef) and node.name == name.split("[")[0]:
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            assert node.end_lineno is not None
            return "\n".join(source.splitlines()[first - 1 : node.end_lineno])
    return None


def test_enough_controls_cite_tests() -> None:
    assert len(EVIDENCE) >= 50


@pytest.mark.parametrize(("control", "evidence"), EVIDENCE, ids=lambda v: getattr(v, "id", ""))
def test_each_cited_test_is_a_test_of_its_control(control: Control, evidence: Evidence) -> None:
    """Mechanically: the test exists, says what it proves in one line, and its own source
    contains the words that tie it to the behaviour the control names."""
    source = _function_source(evidence.test)
    assert source is not None, f"{control.id}: {evidence.test} does not exist"
    assert len(evidence.proves.split()) >= 6, f"{control.id}: say what {evidence.test} proves"
    missing = [word for word in evidence.mentions if word not in source]
    assert not missing, f"{control.id}: {evidence.test} never mentions {missing}"


CODE = sorted(
    {ref for hazard in LOG.hazards for control in hazard.controls for ref in control.code}
)


@pytest.mark.parametrize("ref", CODE)
def test_code_named_by_a_control_exists(ref: str) -> None:
    path, _, symbol = ref.partition("::")
    file = ROOT / path
    assert file.exists(), ref
    if symbol:
        names = symbol.split(".")
        body: list[ast.stmt] = ast.parse(file.read_text(encoding="utf-8")).body
        for name in names:
            found = next(
                (
                    n
                    for n in body
                    if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef)
                    and n.name == name
                ),
                None,
            )
            assert found is not None, f"{ref}: {name} is not defined there"
            body = found.body


@cache
def _collected() -> dict[str, dict[str, Any]]:
    """Collect the cited tests in a real pytest run (a subprocess, so this session's own
    collection and fixtures play no part); the plugin reports markers and skips per node."""
    with tempfile.TemporaryDirectory() as scratch:
        out = Path(scratch) / "evidence.json"
        env = {**os.environ, "QIHUB_EVIDENCE_OUT": str(out)}
        ids = sorted({e.test for _, e in EVIDENCE})
        result = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             "-p", "tests.evidence_plugin", *ids],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        collected: dict[str, dict[str, Any]] = json.loads(out.read_text(encoding="utf-8"))
    return collected


def _runs_in_ci(evidence: Evidence, nodes: dict[str, dict[str, Any]]) -> str | None:
    """None when `evidence` runs in CI; otherwise why not."""
    if not nodes:
        return "collects no test"
    postgres_only = all("postgres" in n["markers"] for n in nodes.values())
    if not postgres_only:
        for node in nodes.values():
            if "postgres" not in node["markers"] and not node["skips"]:
                return None if not evidence.postgres else "is marked postgres but runs without"
        skipped = {r for n in nodes.values() for r in n["skips"]}
        return f"is skipped ({', '.join(sorted(skipped))})"
    if not evidence.postgres:
        return "runs only on PostgreSQL: mark the evidence postgres: true"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    if not re.search(r"^export TEST_DATABASE_URL=", ci, flags=re.M):
        return "needs PostgreSQL, and CI no longer sets TEST_DATABASE_URL"
    skips = {r for n in nodes.values() for r in n["skips"]} - {"calls pytest.skip at run time"}
    return f"is skipped ({', '.join(sorted(skips))})" if skips else None


@pytest.mark.slow
def test_every_cited_test_collects_and_is_not_skipped_in_ci() -> None:
    collected = _collected()
    failures = []
    for control, evidence in EVIDENCE:
        nodes = {
            node_id: info
            for node_id, info in collected.items()
            if node_id == evidence.test or node_id.startswith(evidence.test + "[")
        }
        why = _runs_in_ci(evidence, nodes)
        if why:
            failures.append(f"{control.id}: {evidence.test} {why}")
    assert failures == []


def test_a_skipped_or_postgres_only_test_does_not_count() -> None:
    sqlite = {"markers": ["parametrize"], "skips": []}
    pg = {"markers": ["parametrize", "postgres"], "skips": []}
    plain = Evidence(test="tests/x.py::test_x", proves="p", mentions=("x",))
    on_pg = Evidence(test="tests/x.py::test_x", proves="p", mentions=("x",), postgres=True)
    assert _runs_in_ci(plain, {"a[sqlite]": sqlite, "a[postgres]": pg}) is None
    assert _runs_in_ci(plain, {"a": {"markers": [], "skips": ["no Chromium"]}}) == (
        "is skipped (no Chromium)"
    )
    assert "mark the evidence postgres" in str(_runs_in_ci(plain, {"a": pg}))
    assert _runs_in_ci(on_pg, {"a": pg}) is None
    assert _runs_in_ci(plain, {}) == "collects no test"


# ------------------------------------------------------------------ qihub safety export
def test_the_safety_export_neutralises_formulas() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        hostile = _hazard(title=f'{start}HYPERLINK("http://x")')
        out = io.StringIO()
        assert export_csv(_log(hostile), out) == 1
        row = next(csv.DictReader(io.StringIO(out.getvalue())))
        assert row["hazard"] == "'" + hostile.title, repr(start)
    assert neutralise("H1.1") == "H1.1" and neutralise(None) == "" and neutralise(-3) == "'-3"


def _qihub(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("QIHUB_", "DATABASE_URL"))}
    qihub = Path(sys.executable).parent / "qihub"
    return subprocess.run(
        [str(qihub), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def test_qihub_safety_export_writes_a_row_per_hazard_and_control_from_any_directory(
    tmp_path: Path,
) -> None:
    elsewhere = _qihub("safety", "export", "-o", "log.csv", cwd=tmp_path)
    assert elsewhere.returncode == 0, elsewhere.stderr
    expected = sum(len(h.controls) for h in LOG.hazards)
    assert f"wrote {expected} hazard controls to log.csv" in elsewhere.stderr
    rows = list(csv.DictReader((tmp_path / "log.csv").open(encoding="utf-8", newline="")))
    assert len(rows) == expected
    by_control = {row["control_id"]: row for row in rows}
    for hazard in LOG.hazards:
        for control in hazard.controls:
            row = by_control[control.id]
            assert (row["hazard_id"], row["control_owner"], row["control_status"]) == (
                hazard.id,
                control.owner,
                control.status,
            )
            assert row["initial_rating"] == str(hazard.initial.rating)
            assert row["residual_rating"] == str(hazard.residual.rating)
    assert {row["control_owner"] for row in rows} == {"manufacturer", "deploying-trust"}

    in_repo = _qihub("safety", "export", cwd=ROOT)
    assert in_repo.returncode == 0
    assert in_repo.stdout == (tmp_path / "log.csv").read_text(encoding="utf-8")
    rendered = _qihub("safety", "markdown", cwd=tmp_path)
    assert rendered.stdout == (DOCS / "hazard-log.md").read_text(encoding="utf-8")
