"""Who an alert is for, as one multi-choice list every platform can draw.

Slack modals, Teams cards and the console all handle a single multi-select well and dependent
fields badly, so the audience is one list of tagged values ("all", "site:wirral",
"role:pharmacist", "committee:PSC"). One alert targets one kind (union within it); the database
turns the choice into staff ids (store.repos.alerts.audience_clause).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from handlers.config import OrgConfig
from messages.view import Choice

ALL = "all"
PREFIXES = {"site": "sites", "role": "roles", "committee": "committees"}
KIND_LABELS = {"all": "All staff", "sites": "Sites", "roles": "Roles", "committees": "Committees"}


@dataclass(frozen=True)
class Audience:
    kind: str
    values: tuple[str, ...] = ()


def choices(config: OrgConfig) -> tuple[Choice, ...]:
    """Every audience a publisher may pick, from the organisation config."""
    out = [Choice(ALL, "All staff")]
    out += [Choice(f"site:{code}", f"Site: {site.name}") for code, site in config.sites.items()]
    out += [Choice(f"role:{role}", f"Role: {role.replace('_', ' ')}") for role in config.roles]
    out += [
        Choice(f"committee:{code}", f"Committee: {committee.name}")
        for code, committee in config.committees.items()
    ]
    return tuple(out)


def parse(picked: Sequence[str]) -> Audience:
    """The picked values as one audience; ValueError (worded for the form) if kinds are mixed."""
    if not picked:
        raise ValueError("choose who must acknowledge this alert")
    if ALL in picked:
        return Audience(ALL)
    kinds = {value.partition(":")[0] for value in picked}
    if len(kinds) != 1 or next(iter(kinds)) not in PREFIXES:
        raise ValueError(
            "choose sites, roles or committees (one kind at a time), or All staff; "
            "send a second alert for another group"
        )
    kind = PREFIXES[next(iter(kinds))]
    return Audience(kind, tuple(value.partition(":")[2] for value in picked))


def as_choices(audience: Audience) -> list[str]:
    """Back to the form's values (to pre-fill an edit)."""
    if audience.kind == ALL:
        return [ALL]
    prefix = next(p for p, k in PREFIXES.items() if k == audience.kind)
    return [f"{prefix}:{value}" for value in audience.values]


def describe(config: OrgConfig, kind: str, values: Sequence[str]) -> str:
    """ "All staff", or "Sites: Wirral, Aintree" in the config's own names."""
    if kind == ALL:
        return "All staff"
    names: list[str] = []
    for value in values:
        if kind == "sites":
            site = config.sites.get(value)
            names.append(site.name if site else value)
        elif kind == "committees":
            committee = config.committees.get(value)
            names.append(committee.name if committee else value)
        else:
            names.append(value.replace("_", " "))
    return f"{KIND_LABELS.get(kind, kind)}: {', '.join(names)}"
