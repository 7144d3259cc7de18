"""Form sessions at the core (handlers.form_sessions): a form's context stays on the server,
bound to one person and one form, used once, for a day; an anonymous form's session forgets
who opened it once it is used."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.clock import housekeeping
from handlers.form_sessions import SESSION_KEY
from messages.view import OpenForm, Reply
from store.models import FormSession, Idea
from tests.harness import ALEX, IDEA, TOM, Harness


def _opened(hub: Harness) -> OpenForm:
    opened = hub.command(ALEX, "/idea")
    assert isinstance(opened, OpenForm)
    assert set(opened.context) == {SESSION_KEY}  # only the id travels
    return opened


def _ideas(hub: Harness) -> int:
    with hub.app.uow_factory() as uow:
        return len(uow.session.scalars(select(Idea)).all())


def test_a_form_opened_for_one_person_cannot_be_sent_by_another(hub: Harness) -> None:
    answer = hub.fill(TOM, _opened(hub), IDEA)
    assert isinstance(answer, Reply) and "not opened for you" in answer.summary
    assert _ideas(hub) == 0


def test_a_form_older_than_a_day_is_refused_and_later_forgotten(hub: Harness) -> None:
    opened = _opened(hub)
    hub.clock.advance(timedelta(hours=25))
    answer = hub.fill(ALEX, opened, IDEA)
    assert isinstance(answer, Reply) and "more than a day ago" in answer.summary
    assert _ideas(hub) == 0
    hub.clock.advance(timedelta(days=1))
    assert housekeeping(hub.app) >= 1
    with hub.app.uow_factory() as uow:
        assert uow.session.scalars(select(FormSession)).all() == []


def test_field_errors_leave_the_session_open(hub: Harness) -> None:
    opened = _opened(hub)
    assert not isinstance(hub.fill(ALEX, opened, {**IDEA, "title": ""}), Reply)
    answer = hub.fill(ALEX, opened, IDEA)
    assert isinstance(answer, Reply) and "IDEA-" in answer.summary


def test_an_anonymous_submission_leaves_no_one_on_its_session(hub: Harness) -> None:
    """Once used, a session keeps no one: not who opened it, nor what it was about."""
    hub.fill(ALEX, _opened(hub), {**IDEA, "mode": "anonymous"})
    with hub.app.uow_factory() as uow:
        (session,) = uow.session.scalars(select(FormSession)).all()
        assert session.used_at is not None
        assert session.staff_id is None
        assert session.context == {}
