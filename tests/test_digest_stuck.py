"""The digest's "stuck" section and its declined list (issue 14): every item nobody can move, or
whose reminder reaches nobody, is named in the committee's weekly digest, in every format."""

from __future__ import annotations

from datetime import date

from sqlalchemy import update

from handlers.digest.data import NO_APPROVER, NO_REASSIGNER, NO_VERIFIER, DigestData, build_digest
from handlers.digest.views import digest_reply
from handlers.reports.links import KEY_ROW
from messages.text import render_reply
from store.models import Alert, ReminderSent, ServerSecret, Staff
from store.uow import UnitOfWork
from tests.goldens import assert_golden
from tests.harness import CHRIS, HELEN, KIM, RUTH, Harness
from tests.test_digest import GOLDEN, MONDAY, Seed, local

GOLDENS = GOLDEN.parent


def leaves(uow: UnitOfWork, *emails: str) -> None:
    """They have left the trust: inactive in the directory, so they can no longer act."""
    uow.session.execute(update(Staff).where(Staff.email.in_(emails)).values(active=False))


def seed_stuck(uow: UnitOfWork) -> None:
    """The Patient Safety Committee after its chair left: Chris, its only governance lead, owns
    a completion and has declined an action; Ruth, the one approver left, published an alert."""
    leaves(uow, HELEN)
    s = Seed(uow.session)
    d = date.fromisoformat
    flush = s.lesson(
        1, "Flush syringes mixed up", status="in_progress", created=local("2026-11-02")
    )
    untriaged = s.lesson(
        2, "Oxygen cylinder empty", status="submitted", created=local("2026-11-19")
    )
    other = s.lesson(
        3, "Leaflet", status="in_progress", committee="PEC", created=local("2026-11-02")
    )
    s.action(
        1,
        flush,
        tier=3,
        status="completion_submitted",
        due=d("2026-12-20"),
        owner=CHRIS,
        changed=local("2026-11-16"),
    )
    s.action(
        2,
        flush,
        tier=2,
        status="declined",
        due=d("2027-01-20"),
        owner=CHRIS,
        changed=local("2026-11-25"),
    )
    s.action(3, flush, tier=4, status="declined", due=d("2027-01-31"), changed=local("2026-11-27"))
    s.action(4, other, tier=2, status="in_progress", due=d("2026-10-01"))
    checked = s.action(
        5, flush, tier=3, status="completion_submitted", due=d("2026-12-20"), owner=CHRIS
    )
    checked.verifier_id = s.staff[KIM]  # Kim can verify this one: not stuck
    for number, publisher in ((1, RUTH), (2, CHRIS)):  # Ruth can approve Chris's, not hers
        uow.session.add(alert(number, s.staff[publisher]))
    for rule, ref in (
        ("lesson_not_triaged", untriaged.ref),
        ("action_not_accepted_escalated", "ACT-2026-0001"),  # listed once, for its first reason
        ("action_overdue_escalated", "ACT-2026-0004"),  # PEC's: not in PSC's digest
    ):
        uow.session.add(
            ReminderSent(
                rule=f"stuck:{rule}",
                item_key=ref,
                occasion="x",
                created_at=local("2026-11-28"),
            )
        )
    uow.session.flush()


def alert(number: int, publisher: int) -> Alert:
    return Alert(
        ref=f"ALERT-2026-{number:04d}",
        kind="alert",
        title="Recall of infusion sets",
        instructions="Remove batch 1234 from every ward.",
        severity="critical",
        audience_kind="all",
        audience_values=[],
        ack_deadline=local("2026-11-30", "18:00"),
        status="awaiting_approval",
        publisher_id=publisher,
        created_at=local("2026-11-30", "07:00"),
        updated_at=local("2026-11-30", "07:00"),
    )


def stuck_digest(hub: Harness) -> DigestData:
    with hub.app.uow_factory() as uow:
        seed_stuck(uow)
        # A fixed key for the charts' sealed addresses, so the golden Block Kit and cards
        # carry the same image addresses on every run.
        uow.session.add(ServerSecret(name=KEY_ROW, value="golden-chart-key", created_at=MONDAY))
        uow.commit()
    with hub.app.uow_factory() as uow:
        return build_digest(uow, hub.app.config, "PSC", MONDAY)


def test_everything_nobody_can_move_is_listed_once(hub: Harness) -> None:
    data = stuck_digest(hub)
    assert [(x.ref, x.problem) for x in data.stuck.items] == [
        ("ACT-2026-0001", NO_VERIFIER),
        ("ACT-2026-0002", NO_REASSIGNER),
        ("ALERT-2026-0001", NO_APPROVER),
        ("LL-2026-0002", "Its reminder (lesson not triaged) reaches nobody"),
    ]
    assert data.stuck.total == 4
    assert [(x.ref, x.days) for x in data.declined.items] == [
        ("ACT-2026-0002", 5),
        ("ACT-2026-0003", 3),
    ]


def test_nothing_is_stuck_while_the_chair_and_lead_are_both_there(hub: Harness) -> None:
    """Chris owns both, but Helen the chair can verify and reassign them: not stuck."""
    with hub.app.uow_factory() as uow:
        seed_stuck(uow)
        uow.session.execute(update(Staff).where(Staff.email == HELEN).values(active=True))
        uow.session.execute(update(ReminderSent).values(rule="sent"))
        s = Seed(uow.session)
        flush = uow.lessons.by_ref("LL-2026-0001")
        assert flush is not None
        s.action(6, flush, tier=3, status="completion_submitted", due=date(2027, 1, 5), owner=HELEN)
        s.action(7, flush, tier=3, status="declined", due=date(2027, 1, 5), owner=HELEN)
        uow.commit()
    with hub.app.uow_factory() as uow:
        data = build_digest(uow, hub.app.config, "PSC", MONDAY)
    assert data.stuck.items == ()
    assert len(data.declined.items) == 3


def test_golden_stuck_digest_in_text_block_kit_and_adaptive_cards(hub: Harness) -> None:
    """The text here; Block Kit and Adaptive Cards as the "digest_stuck" case of
    tests/slack/test_golden.py and tests/test_adaptivecards.py (validated there)."""
    reply = digest_reply(stuck_digest(hub), hub.app.config)
    text = f"summary: {reply.summary}\n{render_reply(reply).text}\n"
    assert_golden(GOLDENS / "digest" / "psc_stuck.txt", text)
    assert (GOLDENS / "slack" / "digest_stuck.json").exists()
    assert (GOLDENS / "teams" / "digest_stuck.json").exists()


def test_a_quiet_digest_has_no_stuck_or_declined_section(hub: Harness) -> None:
    with hub.app.uow_factory() as uow:
        data = build_digest(uow, hub.app.config, "PSC", MONDAY)
    text = render_reply(digest_reply(data, hub.app.config)).text
    assert "Stuck" not in text and "Declined" not in text
