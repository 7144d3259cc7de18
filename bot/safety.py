"""The DCB0129 hazard log as data: loaded from `docs/clinical-safety/hazards.yaml`, checked,
rendered as `hazard-log.md` and exported as CSV for the deploying trust's DCB0160 file.

Ratings are never typed: each comes from the severity and likelihood through the standard 5x5
matrix (NHS Digital's DCB0129 implementation guidance), so nobody can score a hazard that the
matrix does not give. `problems` holds the rules a Clinical Safety Officer relies on (a residual
risk lowered only with a justification naming controls that exist; a planned control never
lowers one); `tests/test_hazard_log.py` holds the ones that need the test suite itself.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import IO, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from handlers.config import ConfigError
from messages.csv_safe import SafeWriter

DATA = Path(__file__).resolve().parents[1] / "docs" / "clinical-safety" / "hazards.yaml"
"""The hazard log's only copy, beside the documents it feeds. Read through the source tree,
which the editable install QI Hub is deployed with (`make install`) keeps in place, so
`qihub safety export` works from any directory."""

Severity = Literal["Minor", "Significant", "Considerable", "Major", "Catastrophic"]
Likelihood = Literal["Very low", "Low", "Medium", "High", "Very high"]
SEVERITIES: tuple[Severity, ...] = ("Minor", "Significant", "Considerable", "Major", "Catastrophic")
LIKELIHOODS: tuple[Likelihood, ...] = ("Very low", "Low", "Medium", "High", "Very high")

MATRIX: dict[Likelihood, tuple[int, int, int, int, int]] = {
    # severity:  Minor, Significant, Considerable, Major, Catastrophic
    "Very high": (3, 4, 4, 5, 5),
    "High": (2, 3, 3, 4, 5),
    "Medium": (2, 2, 3, 3, 4),
    "Low": (1, 2, 2, 3, 4),
    "Very low": (1, 1, 2, 2, 3),
}
"""DCB0129 implementation guidance, risk matrix: likelihood x severity -> risk rating 1-5."""

ACCEPTABILITY = {
    5: "Unacceptable level of risk",
    4: "Mandatory elimination of hazard or addition of control measure to reduce risk to an "
    "acceptable level",
    3: "Undesirable level of risk: attempts should be made to eliminate or control to reduce "
    "risk to an acceptable level; acceptable only when further risk reduction is impractical",
    2: "Acceptable where cost of further reduction outweighs benefits gained",
    1: "Acceptable, no further action required",
}
"""DCB0129 implementation guidance, example risk acceptability definitions, adopted as ours."""

TEST_ID = re.compile(r"^tests/[\w/]+\.py::test_\w+(\[[^\]]+\])?$")
CODE_ID = re.compile(r"^(bot|handlers|messages|store)/[\w/]+\.py(::\w+(\.\w+)?)?$")


def rating(severity: Severity, likelihood: Likelihood) -> int:
    return MATRIX[likelihood][SEVERITIES.index(severity)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Evidence(_Strict):
    """A test that shows one control works, and what it shows."""

    test: str
    proves: str
    mentions: tuple[str, ...] = Field(min_length=1)
    """Words the test's own source must contain: the mechanical tie between test and control."""
    postgres: bool = False
    """The test runs only on PostgreSQL (CI sets TEST_DATABASE_URL)."""


class Control(_Strict):
    id: str
    text: str
    owner: Literal["manufacturer", "deploying-trust"]
    status: Literal["implemented", "planned", "required"]
    """implemented: ours and in the code; planned: ours, not built yet (never lowers a risk);
    required: the deploying trust's to put in place under DCB0160."""
    issue: int | None = None
    code: tuple[str, ...] = ()
    evidence: tuple[Evidence, ...] = ()


class Assessment(_Strict):
    severity: Severity
    likelihood: Likelihood

    @property
    def rating(self) -> int:
        return rating(self.severity, self.likelihood)


class Hazard(_Strict):
    id: str
    title: str
    causes: tuple[str, ...] = Field(min_length=1)
    effect: str
    clinical_impact: str
    initial: Assessment
    controls: tuple[Control, ...] = Field(min_length=1)
    residual: Assessment
    reduced_by: tuple[str, ...] = ()
    """The controls (ids) that lower the residual below the initial assessment."""
    justification: str = ""
    """Why those controls lower the severity or the likelihood as far as they do."""
    status: Literal["open", "mitigated", "closed", "transferred"]
    source: str = ""


class HazardLog(_Strict):
    version: str
    date: date
    hazards: tuple[Hazard, ...] = Field(min_length=1)


def load(path: Path | None = None) -> HazardLog:
    """The hazard log, validated; a missing or malformed file is a ConfigError (exit 2)."""
    path = path or DATA
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(
            "",
            f"the hazard log {path} is not here; run qihub from a clone of the repository "
            "(installed with `make install`)",
        ) from None
    except yaml.YAMLError as exc:
        raise ConfigError("", f"{path} is not valid YAML: {exc}") from None
    try:
        return HazardLog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        key = ".".join(str(part) for part in first["loc"])
        raise ConfigError(key, first["msg"], str(path)) from None


def problems(log: HazardLog) -> list[str]:
    """Every breach of the hazard log's own rules, one sentence each (empty: none)."""
    found: list[str] = []
    hazard_ids = [h.id for h in log.hazards]
    control_ids = [c.id for h in log.hazards for c in h.controls]
    for ids, kind in ((hazard_ids, "hazard"), (control_ids, "control")):
        twice = sorted({i for i in ids if ids.count(i) > 1})
        found += [f"{kind} id {i} is used twice" for i in twice]
    for hazard in log.hazards:
        found += _hazard_problems(hazard)
    return found


def _hazard_problems(hazard: Hazard) -> list[str]:
    found: list[str] = []
    h = hazard.id
    if not re.fullmatch(r"H\d+", h):
        found.append(f"{h}: hazard ids are H and a number")
    for control in hazard.controls:
        found += [f"{h}: {p}" for p in _control_problems(hazard, control)]
    initial, residual = hazard.initial, hazard.residual
    if SEVERITIES.index(residual.severity) > SEVERITIES.index(initial.severity) or (
        LIKELIHOODS.index(residual.likelihood) > LIKELIHOODS.index(initial.likelihood)
    ):
        found.append(f"{h}: the residual assessment is worse than the initial one")
    lowered = residual != initial
    by_id = {c.id: c for c in hazard.controls}
    if lowered:
        if not hazard.justification.strip() or not hazard.reduced_by:
            found.append(f"{h}: the residual risk is lowered without a justification")
        for cid in hazard.reduced_by:
            reducer = by_id.get(cid)
            if reducer is None:
                found.append(f"{h}: reduced_by names {cid}, which is not one of its controls")
            elif reducer.status == "planned":
                found.append(f"{h}: {cid} is planned, so it cannot lower the residual risk")
            elif cid not in hazard.justification:
                found.append(f"{h}: the justification does not say how {cid} lowers the risk")
    elif hazard.reduced_by:
        found.append(f"{h}: reduced_by is given but the residual equals the initial assessment")
    if hazard.status in ("mitigated", "closed") and residual.rating > 2:
        found.append(
            f"{h}: '{hazard.status}' with a residual rating of {residual.rating}; a rating of 3 "
            "or more stays open until the CSO accepts it"
        )
    planned = [c.id for c in hazard.controls if c.status == "planned"]
    if hazard.status == "closed" and planned:
        found.append(f"{h}: closed while {', '.join(planned)} is still planned")
    if hazard.status == "transferred" and not any(
        c.owner == "deploying-trust" for c in hazard.controls
    ):
        found.append(f"{h}: transferred, but no control is the deploying trust's")
    return found


def _control_problems(hazard: Hazard, control: Control) -> list[str]:
    found: list[str] = []
    c = control.id
    if not control.id.startswith(f"{hazard.id}."):
        found.append(f"control {c} should be numbered {hazard.id}.n")
    if control.status == "planned" and control.issue is None:
        found.append(f"{c} is planned but names no issue")
    if control.owner == "deploying-trust":
        if control.status != "required":
            found.append(f"{c} is the deploying trust's, so its status is 'required'")
        if control.evidence:
            found.append(f"{c} is the deploying trust's; our tests cannot evidence it")
    elif control.status == "required":
        found.append(f"{c} is ours: 'implemented' or 'planned', not 'required'")
    elif control.status == "implemented" and not control.evidence:
        found.append(f"{c} is implemented but cites no test")
    for evidence in control.evidence:
        if not TEST_ID.match(evidence.test):
            found.append(f"{c}: {evidence.test!r} is not tests/<file>.py::test_<name>")
        if not evidence.proves.strip() or "\n" in evidence.proves.strip():
            found.append(f"{c}: {evidence.test} needs a one-line 'proves'")
    for ref in control.code:
        if not CODE_ID.match(ref):
            found.append(f"{c}: code {ref!r} is not <package>/<file>.py[::Symbol]")
    return found


def _assessment(a: Assessment) -> str:
    return f"{a.severity} × {a.likelihood} → **{a.rating}**"


def markdown(log: HazardLog) -> str:
    """The hazard log as the document people read (`docs/clinical-safety/hazard-log.md`)."""
    lines = [
        "# QI Hub hazard log (DCB0129)",
        "",
        "<!-- Generated from hazards.yaml by `qihub safety markdown -o "
        "docs/clinical-safety/hazard-log.md`; edit the YAML, not this file. -->",
        "",
        f"**Version {log.version}, {log.date.isoformat()}.** The manufacturer's hazard log for QI "
        "Hub, maintained under the [clinical risk management plan](risk-management-plan.md) and "
        "summarised in the [safety case](safety-case.md). Severity and likelihood use the plan's "
        "definitions; each rating is looked up in its 5×5 matrix (1 acceptable … 5 "
        "unacceptable), never typed. *Initial* is the risk with no controls; *residual* is the "
        "risk with the controls that are in place today: a **planned** control lowers nothing "
        "until it is built and tested. Controls are **ours** (manufacturer, DCB0129: the code, "
        "with the tests that prove it) or **the deploying trust's** (DCB0160: training, "
        "configuration, process). `qihub safety export` writes this log as CSV for the trust's "
        "own file.",
        "",
        "| id | hazard | initial | residual | status |",
        "|---|---|---|---|---|",
    ]
    for h in log.hazards:
        lines.append(
            f"| [{h.id}](#{h.id.lower()}) | {h.title} | {h.initial.severity} × "
            f"{h.initial.likelihood} → {h.initial.rating} | {h.residual.severity} × "
            f"{h.residual.likelihood} → {h.residual.rating} | {h.status} |"
        )
    for h in log.hazards:
        lines += ["", "---", "", f'<a id="{h.id.lower()}"></a>', f"## {h.id} — {h.title}", ""]
        if h.source:
            lines += [f"*Raised by:* {h.source}", ""]
        lines.append("**Causes.**")
        lines += [f"- {cause}" for cause in h.causes]
        lines += [
            "",
            f"**Effect.** {h.effect}",
            "",
            f"**Clinical impact.** {h.clinical_impact}",
            "",
            f"**Initial risk.** {_assessment(h.initial)}",
            "",
            "**Controls.**",
            "",
        ]
        for c in h.controls:
            owner = "ours" if c.owner == "manufacturer" else "deploying trust (DCB0160)"
            state = {"implemented": "in place", "planned": "**planned**", "required": "required"}[
                c.status
            ]
            issue = f", issue #{c.issue}" if c.issue is not None else ""
            lines.append(f"- **{c.id}** ({owner}; {state}{issue}). {c.text}")
            if c.code:
                lines.append(f"  Code: {', '.join(f'`{ref}`' for ref in c.code)}.")
            for e in c.evidence:
                pg = " (PostgreSQL)" if e.postgres else ""
                lines.append(f"  - `{e.test}`{pg}: {e.proves}")
        lines += ["", f"**Residual risk.** {_assessment(h.residual)}; status **{h.status}**."]
        if h.justification:
            lines += ["", f"**Justification.** {h.justification.strip()}"]
    return "\n".join(lines) + "\n"


COLUMNS = (
    "log_version", "hazard_id", "hazard", "hazard_status", "causes", "effect", "clinical_impact",
    "initial_severity", "initial_likelihood", "initial_rating",
    "residual_severity", "residual_likelihood", "residual_rating", "residual_acceptability",
    "residual_justification", "control_id", "control", "control_owner", "control_status",
    "control_issue", "evidence_tests",
)  # fmt: skip


def export_csv(log: HazardLog, out: IO[str]) -> int:
    """One row per hazard and control, every cell neutralised; returns the number of rows."""
    writer = SafeWriter(out)
    writer.writerow(COLUMNS)
    count = 0
    for h in log.hazards:
        for c in h.controls:
            writer.writerow(
                (
                    log.version, h.id, h.title, h.status, "; ".join(h.causes), h.effect,
                    h.clinical_impact, h.initial.severity, h.initial.likelihood,
                    h.initial.rating, h.residual.severity, h.residual.likelihood,
                    h.residual.rating, ACCEPTABILITY[h.residual.rating], h.justification.strip(),
                    c.id, c.text, c.owner, c.status, "" if c.issue is None else c.issue,
                    "; ".join(e.test for e in c.evidence),
                )
            )  # fmt: skip
            count += 1
    return count
