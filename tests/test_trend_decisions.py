"""Trends as records people can follow: /qi trends, /qi show TR-… (its lessons, their actions
and how strong they are, only the lessons the viewer may read), and the committee's decision on
the trend itself (accept as a theme with a response and its lead, or dismiss with a reason; a
dismissed trend stays quiet until a new lesson joins it)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from handlers.digest.data import build_digest
from messages.text import render_reply
from messages.view import FormErrors, Notice, Reply, Response
from store.models import AuditEntry, Trend
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    KIM,
    LEE,
    NADIA,
    PRIYA,
    TOM,
    Harness,
    button,
    buttons_of,
    errors_of,
    ref_in,
    submit_lesson,
)
from tests.lessons_flow import add_action, card, decided_lesson
from tests.platforms import Driver
from tests.slack.conftest import fake_slack, slack  # noqa: F401 (fixtures for SlackDriver)
from tests.teams.conftest import fake_connector  # noqa: F401 (fixtures for TeamsDriver)
from tests.teams.inbound import fake_openid, teams  # noqa: F401
from tests.test_every_command import driver_for

ONLY_PROCESS = {"sites": [], "departments": [], "process": "patient-id"}
"""Lessons that share only their process: exactly one trend, TR-2026-0001."""
TR = "TR-2026-0001"


def text_of(response: Response) -> str:
    """The reply as the console draws it, on one line (it wraps long lines)."""
    assert isinstance(response, Reply), response
    return " ".join(render_reply(response).text.split())


def said(response: Response) -> str:
    assert isinstance(response, Reply), response
    return " ".join(b.text for b in response.blocks if isinstance(b, Notice))


def trend(hub: Harness) -> Trend:
    with hub.app.uow_factory() as uow:
        found = uow.trends.by_ref(TR)
        assert found is not None
        uow.session.expunge(found)
        return found


def raise_trend(hub: Harness, who: tuple[str, ...] = (ALEX, TOM, ALEX)) -> list[str]:
    """Three lessons on one process (the PSC's, by source), from `who`: the trend is raised."""
    refs = [ref_in(submit_lesson(hub, person, **ONLY_PROCESS), "LL") for person in who]
    assert trend(hub).status == "open"
    return refs


def triage(hub: Harness, ref: str) -> None:
    opened = hub.press(CHRIS, button(card(hub, CHRIS, ref), "Take to committee"))
    hub.fill(CHRIS, opened, {"deidentified": "yes"})


def decide(hub: Harness, who: str, choice: str, values: dict[str, Any]) -> Response:
    opened = hub.press(who, button(card(hub, who, TR), choice))
    return hub.fill(who, opened, values)


def accept(hub: Harness, who: str = KIM, owner: str = LEE) -> Response:
    return decide(
        hub, who, "Accept as a theme", {"response": "A deep dive into ID checks.", "owner": owner}
    )


def dismiss(hub: Harness, who: str = KIM) -> Response:
    return decide(hub, who, "Dismiss", {"reason": "Three unrelated lessons at the main hub."})


def posts(hub: Harness, channel: str, phrase: str) -> list[str]:
    hub.deliver()
    return [r.summary for r in hub.platform.to(channel) if phrase in r.summary]


def audit(hub: Harness) -> list[str]:
    with hub.app.uow_factory() as uow:
        return [e.action for e in uow.audit.for_entity("trend", TR)]


def digest_refs(hub: Harness, days: int = 0) -> list[str]:
    with hub.app.uow_factory() as uow:
        data = build_digest(uow, hub.app.config, "PSC", hub.clock.now() + timedelta(days=days))
    return [t.ref for t in data.trends.items]


# ------------------------------------------------------------------ following a trend


def test_a_trend_opens_with_its_lessons_their_actions_and_how_strong_they_are(
    hub: Harness,
) -> None:
    lessons = [decided_lesson(hub, ["2", "3"]) for _ in range(3)]  # all share site, ward, process
    add_action(hub, lessons[0], 2)
    add_action(hub, lessons[1], 3)
    shown = text_of(hub.command(CHRIS, f"/qi show {TR}"))
    assert all(ref in shown for ref in lessons)
    assert "tier 2, weaker action" in shown and "tier 3, stronger action" in shown
    assert "no actions yet" in shown  # the third lesson
    assert "Awaiting a decision by the PSC committee" in shown
    labels = [b.label for b in buttons_of(card(hub, CHRIS, TR))]
    assert labels[-2:] == ["Accept as a theme…", "Dismiss…"]


def test_qi_trends_lists_a_committees_trends_undecided_first(hub: Harness) -> None:
    for _ in range(3):
        submit_lesson(hub)  # site, ward and process: three trends
    listed = text_of(hub.command(KIM, "/qi trends"))  # Kim sits on the PSC only
    assert all(f"TR-2026-000{n}" in listed for n in (1, 2, 3))
    assert listed.count("awaiting a decision") == 3
    with hub.app.uow_factory() as uow:  # the first becomes decided: it goes after the others
        first = uow.trends.by_ref("TR-2026-0001")
        assert first is not None
        first.status = "dismissed"
        uow.commit()
    listed = text_of(hub.command(KIM, "/qi trends PSC"))
    assert listed.index("TR-2026-0001") > listed.index("TR-2026-0003")
    assert "Which committee?" in said(hub.command(NADIA, "/qi trends"))  # admin: on none
    assert "TR-2026-0001" in text_of(hub.command(NADIA, "/qi trends psc"))
    assert said(hub.command(PRIYA, "/qi trends PSC")) == (
        "Only members of the PSC committee can list its trends."
    )
    assert "Which committee?" in said(hub.command(KIM, "/qi trends NOPE"))


def test_a_trend_names_only_the_lessons_the_viewer_may_read(hub: Harness) -> None:
    """Untriaged lessons: their submitter and the committee's governance leads only. A member
    who is neither sees them counted, never named or titled (handlers/visibility.py)."""
    first, second, third = raise_trend(hub, (ALEX, TOM, ALEX))
    triage(hub, first)
    member = text_of(hub.command(KIM, f"/qi show {TR}"))
    assert first in member and second not in member and third not in member
    assert "2 more lessons not yet checked for patient data" in member
    lead = text_of(hub.command(CHRIS, f"/qi show {TR}"))  # governs the PSC
    assert all(ref in lead for ref in (first, second, third))
    assert "not yet checked" not in lead


@pytest.mark.parametrize("platform", ["console", "slack", "teams"])
def test_qi_show_a_trend_on_every_platform(
    hub: Harness, platform: str, request: pytest.FixtureRequest
) -> None:
    driver: Driver = driver_for(platform, hub, request)
    first, _, _ = raise_trend(hub)
    outcome = driver.run(CHRIS, f"/qi show {TR}")
    assert outcome.ok, outcome.text
    assert first in outcome.text and "Accept as a theme" in outcome.text


# ------------------------------------------------------------------ who may look, who may decide


def test_staff_without_a_committee_cannot_open_a_trend(hub: Harness) -> None:
    """trend.view: /qi show is everyone's, so the trend checks it itself; the button too."""
    raise_trend(hub)
    refusal = "Sorry, you can't do that: it is for admin, committee member, governance lead."
    assert said(hub.command(TOM, f"/qi show {TR}")).startswith(refusal)
    pressed = hub.press(TOM, hub.drawn_button("trend.show", {"ref": TR}))
    assert said(pressed).startswith(refusal)
    assert "Sorry, you can't do that" in said(hub.command(TOM, "/qi trends PSC"))


def test_another_committees_member_can_neither_open_nor_decide_it(hub: Harness) -> None:
    raise_trend(hub)  # the PSC's only
    assert said(hub.command(PRIYA, f"/qi show {TR}")) == (
        f"Only members of the PSC committee can open {TR}."
    )
    pressed = hub.press(PRIYA, hub.drawn_button("trend.decide", {"ref": TR, "to": "dismiss"}))
    assert said(pressed) == f"Only members of the PSC committee can open {TR}."
    assert trend(hub).status == "open"


def test_a_decision_needs_the_permission_whatever_button_is_held(hub: Harness) -> None:
    """trend.decide: an admin may look at every committee's trends but not decide them."""
    raise_trend(hub)
    assert "Accept as a theme" not in text_of(hub.command(NADIA, f"/qi show {TR}"))
    pressed = hub.press(NADIA, hub.drawn_button("trend.decide", {"ref": TR, "to": "accept"}))
    assert said(pressed).startswith("Sorry, you can't do that: it is for committee member")
    assert trend(hub).status == "open"


def test_a_trust_that_lets_only_chairs_decide_shows_members_no_decision(hub: Harness) -> None:
    """trend.decide is the config's: granted to chairs only, a member sees no buttons and is
    refused at the press; the chair still decides."""
    raise_trend(hub)
    config = hub.app.services.config
    chairs = {**config.permissions, "trend.decide": ["committee_chair"]}
    hub.app.services.config = config.model_copy(update={"permissions": chairs})
    try:
        assert "Accept as a theme" not in text_of(hub.command(KIM, f"/qi show {TR}"))
        pressed = hub.press(KIM, hub.drawn_button("trend.decide", {"ref": TR, "to": "accept"}))
        assert said(pressed).startswith("Sorry, you can't do that: it is for committee chair")
        assert f"{TR} accepted as a theme" in said(accept(hub, HELEN))
    finally:
        hub.app.services.config = config


def test_a_member_who_is_not_on_its_committees_may_not_decide(hub: Harness) -> None:
    """may_decide: holding trend.decide (a member of the PEC) is not enough for a PSC trend,
    even for someone an admin let look (here: a PEC lead made admin too)."""
    raise_trend(hub)
    with hub.app.uow_factory() as uow:
        uow.staff.replace_roles({PRIYA: {"admin"}}, source="test")
        uow.commit()
    assert "Accept as a theme" not in text_of(hub.command(PRIYA, f"/qi show {TR}"))
    pressed = hub.press(PRIYA, hub.drawn_button("trend.decide", {"ref": TR, "to": "accept"}))
    assert said(pressed) == (
        f"Only members, chairs and governance leads of the PSC committee can decide on {TR}."
    )
    assert trend(hub).status == "open"


# ------------------------------------------------------------------ the decision


def test_accepting_a_trend_names_its_response_and_lead_who_is_told(hub: Harness) -> None:
    raise_trend(hub)
    done = accept(hub, HELEN, LEE)  # the chair
    assert f"{TR} accepted as a theme; Lee Hughes leads the response." in said(done)
    accepted = trend(hub)
    assert (accepted.status, accepted.response) == ("accepted", "A deep dive into ID checks.")
    assert audit(hub)[-1] == "accepted"
    assert posts(hub, LEE, "You lead the response") == [f"You lead the response to {TR}"]
    assert posts(hub, "#psc", "accepted as a theme") == [
        f"{TR} accepted as a theme: Lee Hughes leads the response"
    ]
    [post] = [r for r in hub.platform.to("#psc") if "accepted as a theme" in r.summary]
    assert "Decided by Helen Roberts: A deep dive into ID checks." in str(post.blocks)
    mine = text_of(hub.command(LEE, "/qi mine"))
    assert "Trend responses you lead" in mine and TR in mine
    shown = text_of(hub.command(LEE, f"/qi show {TR}"))
    assert "A deep dive into ID checks." in shown and "Accept as a theme" not in shown
    again = hub.press(KIM, hub.drawn_button("trend.decide", {"ref": TR, "to": "dismiss"}))
    assert said(again) == f"{TR} was already accepted as a theme."


def test_a_response_lead_outside_the_committees_may_open_the_trend_they_lead(
    hub: Harness,
) -> None:
    raise_trend(hub)
    accept(hub, KIM, TOM)  # Tom sits on no committee
    assert "A deep dive into ID checks." in text_of(
        hub.press(TOM, hub.drawn_button("trend.show", {"ref": TR}))
    )
    assert "Sorry, you can't do that" in said(hub.command(ALEX, f"/qi show {TR}"))


def test_a_response_lead_not_in_the_directory_is_refused_and_nothing_is_lost(
    hub: Harness,
) -> None:
    raise_trend(hub)
    errors = errors_of(accept(hub, KIM, "nobody@clatterbridge.example"))
    assert errors == {"owner": "nobody@clatterbridge.example is not in the staff directory."}
    assert trend(hub).status == "open"
    short = decide(hub, KIM, "Dismiss", {"reason": "No."})
    assert isinstance(short, FormErrors) and "reason" in short.errors


def test_a_dismissed_trend_is_quiet_until_a_new_lesson_joins_then_raised_again_once(
    hub: Harness,
) -> None:
    raise_trend(hub)
    assert TR in digest_refs(hub)
    assert f"{TR} dismissed" in said(dismiss(hub))
    assert posts(hub, "#psc", f"{TR} dismissed") == [f"{TR} dismissed"]
    assert TR not in digest_refs(hub, days=8)  # next week: quiet
    hub.clock.advance(timedelta(days=10))
    submit_lesson(hub, KIM, **ONLY_PROCESS)  # something new
    reopened = trend(hub)
    assert (reopened.status, reopened.lesson_count) == ("open", 4)
    assert posts(hub, "#psc", "Trend raised again") == [
        f"Trend raised again {TR}: 4 lessons about the process 'Positive patient "
        "identification' within 90 days"
    ]
    shown = text_of(hub.command(CHRIS, f"/qi show {TR}"))
    assert "Raised again on" in shown and "Three unrelated lessons at the main hub." in shown
    submit_lesson(hub, TOM, **ONLY_PROCESS)  # the next is growth, not another raising
    assert len(posts(hub, "#psc", "Trend raised again")) == 1
    assert len(posts(hub, "#psc", "Trend grew")) == 1
    assert audit(hub) == ["raised", "dismissed", "grew", "reopened", "grew"]
    assert TR in digest_refs(hub, days=30)  # undecided again: every week until decided


def test_an_undecided_trend_is_in_every_weekly_digest_until_decided(hub: Harness) -> None:
    raise_trend(hub)
    for weeks in (1, 2, 5):
        assert TR in digest_refs(hub, days=7 * weeks)
    accept(hub)
    assert TR not in digest_refs(hub, days=14)


def test_who_decided_is_audited_as_themselves_and_the_reason_kept(hub: Harness) -> None:
    raise_trend(hub)
    dismiss(hub, CHRIS)
    with hub.app.uow_factory() as uow:
        entry = uow.session.query(AuditEntry).filter_by(entity_ref=TR, action="dismissed").one()
        chris = uow.staff.by_email(CHRIS)
        assert chris is not None and entry.actor_id == chris.id
        assert entry.reason == "Three unrelated lessons at the main hub."
    trail = text_of(hub.command(NADIA, f"/qi audit {TR}"))  # the admin's audit trail
    assert "Did: raised" in trail and "Did: dismissed" in trail and CHRIS in trail
