"""Shared steps for action tests: a lesson triaged and decided, with actions created."""

from __future__ import annotations

from typing import Any

from messages.view import Reply, Response
from tests.harness import CHRIS, HELEN, LEE, TOM, Harness, button, ref_in, submit_lesson


def card(hub: Harness, who: str, ref: str) -> Reply:
    reply = hub.command(who, f"/qi show {ref}")
    assert isinstance(reply, Reply), reply
    return reply


def decided_lesson(hub: Harness, tiers: list[str]) -> str:
    ref = ref_in(submit_lesson(hub), "LL")
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Take to committee"))
    hub.fill(CHRIS, opened, {"deidentified": "yes"})
    opened = hub.press(HELEN, button(card(hub, HELEN, ref), "Decide tiers"))
    hub.fill(HELEN, opened, {"tiers": tiers, "rationale": "Proportionate to the risk."})
    return ref


TIER_VALUES: dict[int, dict[str, Any]] = {
    1: {"change": "Separate labelled bins", "reaudit_date": "2027-03-01", "audit_lead": LEE},
    2: {"audiences": ["nursing"], "comms_channel": "Safety huddles on every ward"},
    3: {"process": "medicines-storage"},
    4: {"expert": LEE, "cognitive_aid": "A checklist card at the trolley"},
    5: {},
}


def add_action(hub: Harness, lesson_ref: str, tier: int, **values: Any) -> str:
    opened = hub.press(HELEN, button(card(hub, HELEN, lesson_ref), f"Add tier {tier} action"))
    base = {
        "description": f"Tier {tier} response to the flush mix-ups.",
        "owner": TOM,
        "due": "2026-12-31",
        "measure": "Monthly trolley check 100%",
        "verifier": "",
        **TIER_VALUES[tier],
    }
    reply = hub.fill(HELEN, opened, {**base, **values})
    assert isinstance(reply, Reply), reply
    return ref_in(reply, "ACT")


def step(hub: Harness, who: str, ref: str, label: str, **values: Any) -> Reply:
    """Press `label` on the card of `ref` as `who` and fill its form, expecting success."""
    result = try_step(hub, who, ref, label, **values)
    assert isinstance(result, Reply), result
    return result


def try_step(hub: Harness, who: str, ref: str, label: str, **values: Any) -> Response:
    pressed = hub.press(who, button(card(hub, who, ref), label))
    if values or not isinstance(pressed, Reply):
        return hub.fill(who, pressed, values)
    return pressed
