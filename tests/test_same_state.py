"""The same flow on Slack and on Teams ends in the same database state: one core, two skins.

Alex submits the same idea on each platform, and Sam (ideas panel) screens it as eligible from
the post in the panel's channel; the two ideas, their submitters and their audit trails must
agree in everything but reference, time and platform."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from store.models import AuditEntry, Idea
from tests.slack import kit
from tests.slack.conftest import SlackHarness, fake_slack, slack  # noqa: F401 (fixtures)
from tests.teams.cards import card_button, card_of, fill
from tests.teams.conftest import fake_connector  # noqa: F401 (fixture)
from tests.teams.inbound import TeamsHarness, fake_openid, teams  # noqa: F401 (fixtures)
from tests.teams.test_flows import channel_posts, submit_idea

REASON = "Simple, cheap and safer for patients."
SAM = "sam.patel@clatterbridge.example"


def on_slack(slack: SlackHarness) -> str:  # noqa: F811 (the fixture's name)
    ref = kit.submit_idea(slack)
    post = kit.channel_post(slack, "C0IDEAS", ref)
    since = kit.press(
        slack, kit.SAM, post, "Eligible", channel="C0IDEAS", ts=kit.ts_of(slack, post)
    )
    view = kit.opened(slack, since)
    assert kit.submit(slack, kit.SAM, view, {"reason": REASON}).status_code == 200
    kit.settle(0.3)
    return ref


def on_teams(teams: TeamsHarness) -> str:  # noqa: F811 (the fixture's name)
    ref = submit_idea(teams)
    post = card_of(teams.wait(lambda: channel_posts(teams, "ideas_panel"))[-1])
    eligible = card_button(post, "Eligible")
    form = teams.execute(SAM, eligible["verb"], eligible["data"]).json()["value"]
    done = teams.execute(SAM, "qi_submit", fill(form, {"reason": REASON}))
    assert done.status_code == 200
    return ref


def state(uow: Any, ref: str) -> dict[str, Any]:
    idea = uow.session.scalar(select(Idea).where(Idea.ref == ref))
    assert idea is not None
    fields = {
        c.key: getattr(idea, c.key)
        for c in Idea.__table__.columns
        if c.key
        not in {"id", "ref", "created_at", "updated_at", "status_changed_at", "receipt_hash"}
    }
    submitters = sorted(s.staff_id for s in idea.submitters)
    trail = [
        (e.action, e.entity_type, e.actor_id, e.actor_label, e.reason)
        for e in uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_ref == ref).order_by(AuditEntry.id)
        )
    ]
    return {"idea": fields, "submitters": submitters, "audit": trail}


def test_slack_and_teams_end_in_the_same_state(
    slack: SlackHarness,  # noqa: F811
    teams: TeamsHarness,  # noqa: F811
) -> None:
    slack_ref = on_slack(slack)
    teams_ref = on_teams(teams)
    with teams.hub.uow_factory() as uow:
        via_slack, via_teams = state(uow, slack_ref), state(uow, teams_ref)
    assert via_slack["idea"]["status"] != "submitted"  # the decision really happened
    for key in via_slack:
        assert via_slack[key] == via_teams[key], key
    for field, value in via_slack["idea"].items():
        assert value == via_teams["idea"][field], field
