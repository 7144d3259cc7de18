"""The chat's answers on the web (bot/hub_actions.py): buttons pressed through /hub/press,
chat forms filled in at /hub/forms/{id}, idea submission and my page, on SQLite and
PostgreSQL, through the real web app and the real core.

One core, one permission check: a press or a form on the web runs the very dispatch a chat
button runs, so a press counts once whichever side it came from, an edited button or a press
without the permission does nothing, and a form session is one person's and used once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import timedelta

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from bot.web import create_web_app
from handlers.dispatch import TAMPERED
from handlers.form_sessions import ALREADY, NOT_THIS_FORM
from messages.view import CONFIRM_NOT_PATIENT, Button, Items, Reply, all_text
from store.models import AlertRecipient, AuditEntry, HubSession, Idea, IdeaSubmitter, Staff
from tests.harness import ALEX, CHRIS, IDEA, SAM, TOM, Harness, button, ref_in, screened
from tests.hub_forms_kit import forms_in, post_fields, press_form, the_form
from tests.lessons_flow import add_action, decided_lesson
from tests.signin_kit import csrf_of, in_process, request, signed_in, words
from tests.test_alerts import approved
from tests.test_hub_web import INLINE

NAMED = "Mrs Jane Smith in bed 4 on Ward 5 was given the wrong flush."


@pytest.fixture
def client(hub: Harness) -> Iterator[TestClient]:
    with in_process(create_web_app(hub.app)) as client:
        yield client


def text_of(response: httpx.Response) -> str:
    return words(response).replace("&#39;", "'").replace("&#34;", '"')


def sent_as_pressed(chat_button: Button, csrf: str) -> list[tuple[str, str]]:
    """What the web's form for `chat_button` posts: the renderer's hidden fields."""
    fields = [("csrf", csrf), ("action", chat_button.action)]
    fields.append(("value", json.dumps(dict(chat_button.value), separators=(",", ":"))))
    return fields


def chat_reply(hub: Harness, who: str, text: str) -> Reply:
    reply = hub.command(who, text)
    assert isinstance(reply, Reply), reply
    return reply


def page_refs(html: str) -> list[str]:
    return re.findall(r'class="app-ref">([A-Z]+-[0-9-]+)<', html)


def reply_refs(reply: Reply) -> list[str]:
    return [i.ref for b in reply.blocks if isinstance(b, Items) for i in b.items if i.ref]


def ideas(hub: Harness) -> list[Idea]:
    with hub.app.uow_factory() as uow:
        found = list(uow.session.scalars(select(Idea).order_by(Idea.id)))
        uow.session.expunge_all()
    return found


# ---------------------------------------------------------------------------- my page
def test_my_page_lists_exactly_what_qi_mine_lists(hub: Harness, client: TestClient) -> None:
    lesson = decided_lesson(hub, ["2", "3"])
    actions = [add_action(hub, lesson, 2), add_action(hub, lesson, 3, due="2026-12-01")]
    hub.clock.advance(timedelta(days=9))  # 5 December: the second is overdue
    alert = approved(hub)
    mine = chat_reply(hub, TOM, "/qi mine")
    cookies = signed_in(hub, client, TOM)
    shown = request(client, "GET", "/hub/me", cookies)
    assert shown.status_code == 200
    assert page_refs(shown.text) == reply_refs(mine)
    assert set(reply_refs(mine)) == {alert, *actions}  # /qi mine now lists the alert too
    page = text_of(shown)
    assert "Critical alerts to acknowledge" in page and "Your actions" in page
    assert "nhsuk-tag--red" in shown.text and "Red: overdue" in page
    assert "nhsuk-tag--green" in shown.text and "Green: on track" in page
    assert '<a class="nhsuk-header__navigation-link" href="/hub/me"' in shown.text


def test_my_page_and_every_action_need_sign_in(hub: Harness, client: TestClient) -> None:
    for path in ("/hub/me", "/hub/ideas/new", "/hub/ideas/new?kind=big"):
        gone = request(client, "GET", path)
        assert gone.status_code == 303
        assert gone.headers["location"].startswith("/hub/signin?next=/hub/")
    for path in ("/hub/press", "/hub/forms/idea.submit"):
        gone = request(client, "POST", path, data={"action": "alert.ack"})
        assert gone.status_code == 303
        assert gone.headers["location"] == "/hub/signin?next=/hub/me"
    header = request(client, "GET", "/hub")
    # "My page" is in the navigation only for someone signed in
    assert '<a class="nhsuk-header__navigation-link" href="/hub/me"' not in header.text


# ---------------------------------------------------------------------------- presses
def test_an_alert_acknowledged_on_the_web_counts_once_with_chat(
    hub: Harness, client: TestClient
) -> None:
    ref = approved(hub)
    cookies = signed_in(hub, client, TOM)
    mine = request(client, "GET", "/hub/me", cookies)
    ack = press_form(mine.text, "Acknowledge")
    done = post_fields(client, "/hub/press", cookies, ack.fields)
    assert done.status_code == 200, text_of(done)
    assert ref in text_of(done)
    chat_card = next(r for r in hub.platform.to(TOM) if ref in r.summary)
    again = hub.press(TOM, button(chat_card, "Acknowledge"))
    assert isinstance(again, Reply)
    assert f"You already acknowledged {ref}" in " ".join(all_text(again))
    twice = post_fields(client, "/hub/press", cookies, ack.fields)  # the web page's again
    assert "already acknowledged" in text_of(twice)
    with hub.app.uow_factory() as uow:
        tom = uow.session.scalar(select(Staff).where(Staff.email == TOM))
        assert tom is not None
        row = uow.session.scalar(select(AlertRecipient).where(AlertRecipient.staff_id == tom.id))
        assert row is not None and row.acked_at is not None and row.ack_platform == "web"
        audit = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "acknowledged")
        ).all()
        assert len(audit) == 1
    after = request(client, "GET", "/hub/me", cookies)
    assert ref not in page_refs(after.text)


def test_a_support_on_the_web_and_in_chat_counts_once(hub: Harness, client: TestClient) -> None:
    ref = screened(hub, ref_in(hub.submit_idea(ALEX)))  # staff support only screened ideas
    support = button(chat_reply(hub, TOM, f"/qi show {ref}"), "Support")
    cookies = signed_in(hub, client, TOM)
    fields = sent_as_pressed(support, csrf_of(client, cookies))
    first = post_fields(client, "/hub/press", cookies, fields)
    assert first.status_code == 200, text_of(first)
    in_chat = hub.press(TOM, support)
    assert isinstance(in_chat, Reply)
    assert "already" in " ".join(all_text(in_chat)).lower()
    [idea] = ideas(hub)
    assert idea.support_count == 1


def test_an_edited_button_is_refused_and_does_nothing(hub: Harness, client: TestClient) -> None:
    ref = approved(hub)
    cookies = signed_in(hub, client, TOM)
    ack = press_form(request(client, "GET", "/hub/me", cookies).text, "Acknowledge")
    edited = [(n, v.replace(ref, "ALERT-2026-9999") if n == "value" else v) for n, v in ack.fields]
    refused = post_fields(client, "/hub/press", cookies, edited)
    assert refused.status_code == 400
    assert TAMPERED in text_of(refused)
    unsealed = [(n, '{"ref":"' + ref + '"}' if n == "value" else v) for n, v in ack.fields]
    assert TAMPERED in text_of(post_fields(client, "/hub/press", cookies, unsealed))
    not_json = [(n, "[]" if n == "value" else v) for n, v in ack.fields]
    assert TAMPERED in text_of(post_fields(client, "/hub/press", cookies, not_json))
    assert ref in page_refs(request(client, "GET", "/hub/me", cookies).text)  # still waiting


def test_a_press_without_the_permission_is_refused(hub: Harness, client: TestClient) -> None:
    """An ideas-panel decision, sealed by the server, pressed by a member of staff: the core's
    permission check refuses it on the web as in chat."""
    ref = ref_in(hub.submit_idea(ALEX))
    decide = hub.drawn_button("idea.decide", {"ref": ref, "decision": "eligible"})
    cookies = signed_in(hub, client, TOM)
    refused = post_fields(
        client, "/hub/press", cookies, sent_as_pressed(decide, csrf_of(client, cookies))
    )
    assert refused.status_code == 400
    assert "Sorry, you can't do that" in text_of(refused)
    [idea] = ideas(hub)
    assert idea.status == "submitted"


def test_a_press_without_the_csrf_token_or_from_another_site_is_refused(
    hub: Harness, client: TestClient
) -> None:
    ref = approved(hub)
    cookies = signed_in(hub, client, TOM)
    ack = press_form(request(client, "GET", "/hub/me", cookies).text, "Acknowledge")
    no_token = [(n, v) for n, v in ack.fields if n != "csrf"]
    assert post_fields(client, "/hub/press", cookies, no_token).status_code == 403
    wrong = [(n, "0" * 64 if n == "csrf" else v) for n, v in ack.fields]
    assert post_fields(client, "/hub/press", cookies, wrong).status_code == 403
    cross = request(
        client,
        "POST",
        "/hub/press",
        cookies,
        data=dict(ack.fields),
        headers={"sec-fetch-site": "cross-site"},
    )
    assert cross.status_code == 403
    assert ref in page_refs(request(client, "GET", "/hub/me", cookies).text)  # not acknowledged


def test_a_destructive_button_asks_first_and_does_nothing_until_confirmed(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_idea(ALEX))
    cookies = signed_in(hub, client, ALEX)
    label = button(chat_reply(hub, ALEX, f"/qi show {ref}"), "Withdraw").label
    opened = hub.drawn_button("idea.show", {"ref": ref})
    card = post_fields(
        client, "/hub/press", cookies, sent_as_pressed(opened, csrf_of(client, cookies))
    )
    withdraw = press_form(card.text, label)
    assert withdraw.value("confirm").startswith(f"Withdraw {ref}?")
    asked = post_fields(client, "/hub/press", cookies, withdraw.fields)
    assert asked.status_code == 200
    assert "Are you sure?" in text_of(asked) and f"Withdraw {ref}?" in text_of(asked)
    assert ideas(hub)[0].status == "submitted"  # nothing happened
    confirm = press_form(asked.text, "Confirm")
    assert confirm.value("confirmed") == "yes"
    reason = post_fields(client, "/hub/press", cookies, confirm.fields)
    form = the_form(reason.text)  # withdrawing asks why, as in chat
    done = post_fields(
        client, form.action, cookies, form.filled({"reason": "Someone has already done it."})
    )
    assert done.status_code == 200, text_of(done)
    assert ideas(hub)[0].status == "withdrawn"


def test_a_record_button_is_a_link_to_its_page(hub: Harness, client: TestClient) -> None:
    """An idea's or a lesson's Open is a link to its stable page, not a press."""
    ref = ref_in(hub.submit_idea(ALEX))
    cookies = signed_in(hub, client, ALEX)
    listing = hub.drawn_button("qi.command", {"text": "/idea mine"})
    shown = post_fields(
        client, "/hub/press", cookies, sent_as_pressed(listing, csrf_of(client, cookies))
    )
    assert shown.status_code == 200, text_of(shown)
    assert f'<a class="app-press" href="/hub/ideas/{ref}">Open</a>' in shown.text
    assert not [f for f in forms_in(shown.text) if "idea.show" in f.values("action")]


# ---------------------------------------------------------------------------- forms
def open_idea_form(client: TestClient, cookies: dict[str, str], query: str = "") -> httpx.Response:
    opened = request(client, "GET", f"/hub/ideas/new{query}", cookies)
    assert opened.status_code == 200, text_of(opened)
    return opened


def test_an_idea_shared_on_the_web_is_in_idea_mine_in_chat(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, cookies).text)
    assert form.action == "/hub/forms/idea.submit" and form.value("mode") == "named"
    done = post_fields(client, form.action, cookies, form.filled(IDEA))
    assert done.status_code == 200, text_of(done)
    ref = re.search(r"IDEA-\d{4}-\d{4}", text_of(done))
    assert ref is not None and "received" in text_of(done)
    mine = chat_reply(hub, ALEX, "/idea mine")
    assert ref.group(0) in reply_refs(mine)
    [idea] = ideas(hub)
    assert idea.expected_benefits == ["safety"] and idea.area == "ward-4"


def test_a_form_with_errors_comes_back_with_every_answer_kept(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, cookies).text)
    answers = {**IDEA, "title": "", "benefits": ["safety", "staff"], "co_submitters": "nobody"}
    again = post_fields(client, form.action, cookies, form.filled(answers))
    assert again.status_code == 400
    page = text_of(again)
    assert "There is a problem" in page and "Please answer: Title" in page
    assert 'href="#field-title"' in again.text
    kept = the_form(again.text)
    assert kept.value("problem") == IDEA["problem"]
    assert kept.values("benefits") == ["staff", "safety"]
    assert kept.value("area") == "ward-4" and kept.value("mode") == "named"
    assert kept.value("s") == form.value("s")
    assert ideas(hub) == []


def test_a_form_sent_twice_is_already_sent(hub: Harness, client: TestClient) -> None:
    cookies = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, cookies).text)
    sent = form.filled(IDEA)
    assert post_fields(client, form.action, cookies, sent).status_code == 200
    again = post_fields(client, form.action, cookies, sent)
    assert ALREADY in text_of(again)
    assert len(ideas(hub)) == 1


def test_a_form_opened_by_someone_else_is_refused(hub: Harness, client: TestClient) -> None:
    alex = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, alex).text)
    tom = signed_in(hub, client, TOM)
    theirs = [(n, csrf_of(client, tom) if n == "csrf" else v) for n, v in form.filled(IDEA)]
    refused = post_fields(client, form.action, tom, theirs)
    assert refused.status_code == 400
    assert NOT_THIS_FORM in text_of(refused)
    assert ideas(hub) == []
    no_token = [(n, v) for n, v in form.filled(IDEA) if n != "csrf"]
    assert post_fields(client, form.action, alex, no_token).status_code == 403
    assert ideas(hub) == []


def test_an_anonymous_idea_on_the_web_shows_its_receipt_and_stores_no_identity(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, cookies).text)
    done = post_fields(client, form.action, cookies, form.filled({**IDEA, "mode": "anonymous"}))
    assert done.status_code == 200, text_of(done)
    receipt = re.search(r"Your receipt code is (R-[A-Z0-9-]+)", text_of(done))
    assert receipt is not None
    [idea] = ideas(hub)
    assert idea.mode == "anonymous" and idea.receipt_hash is not None
    with hub.app.uow_factory() as uow:
        assert uow.session.scalars(select(IdeaSubmitter)).all() == []
        submitted = uow.session.scalars(
            select(AuditEntry).where(AuditEntry.entity_ref == idea.ref)
        ).all()
        assert [(a.actor_label, a.actor_id) for a in submitted] == [("anonymous", None)]
    assert idea.ref not in reply_refs(chat_reply(hub, ALEX, "/idea mine"))


def test_sending_a_form_is_not_written_down_as_the_persons_activity(
    hub: Harness, client: TestClient
) -> None:
    """The session's last_seen_at is the one time kept beside a person's id: sending a form
    (which may be anonymous) leaves it at the last page seen, so a dump cannot put the
    submitter at the anonymous idea's moment (docs/information-governance.md, Anonymity)."""
    cookies = signed_in(hub, client, ALEX)
    hub.clock.advance(timedelta(minutes=2))
    form = the_form(open_idea_form(client, cookies).text)
    opened_at = hub.clock.now()
    hub.clock.advance(timedelta(minutes=3))
    done = post_fields(client, form.action, cookies, form.filled({**IDEA, "mode": "anonymous"}))
    assert done.status_code == 200, text_of(done)
    [idea] = ideas(hub)
    with hub.app.uow_factory() as uow:
        [session] = uow.session.scalars(select(HubSession)).all()
        assert session.last_seen_at == opened_at != idea.created_at


def test_a_patient_name_is_asked_about_on_the_web_as_in_chat(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, cookies).text)
    assert CONFIRM_NOT_PATIENT.name not in form.names  # never asked up front
    warned = post_fields(client, form.action, cookies, form.filled({**IDEA, "problem": NAMED}))
    assert warned.status_code == 400
    assert "seems to name a person" in text_of(warned)
    again = the_form(warned.text)
    assert CONFIRM_NOT_PATIENT.name in again.names and again.value("problem") == NAMED
    assert ideas(hub) == []
    done = post_fields(
        client, again.action, cookies, again.filled({CONFIRM_NOT_PATIENT.name: "yes"})
    )
    assert done.status_code == 200, text_of(done)
    assert [i.problem for i in ideas(hub)] == [NAMED]


def test_a_big_idea_form_draws_every_kind_of_field(hub: Harness, client: TestClient) -> None:
    cookies = signed_in(hub, client, ALEX)
    opened = open_idea_form(client, cookies, "?kind=big")
    form = the_form(opened.text)
    assert form.action == "/hub/forms/idea.submit_big"
    assert {"cost_pounds", "sponsor", "benefits", "mode"} <= form.names
    assert 'type="email"' in opened.text or 'name="sponsor"' in opened.text


def test_an_action_on_my_page_opens_and_asks_for_more_time_with_the_nhs_date_input(
    hub: Harness, client: TestClient
) -> None:
    """My page → the action's Open → Request extension: a date as day, month and year boxes,
    which the core reads as it reads chat's date; a date left half done keeps what was typed."""
    ref = add_action(hub, decided_lesson(hub, ["3"]), 3)
    cookies = signed_in(hub, client, TOM)
    mine = request(client, "GET", "/hub/me", cookies)
    card = post_fields(client, "/hub/press", cookies, press_form(mine.text, "Open").fields)
    assert ref in text_of(card)
    opened = post_fields(
        client, "/hub/press", cookies, press_form(card.text, "Request extension…").fields
    )
    form = the_form(opened.text)
    assert {"new_due-day", "new_due-month", "new_due-year", "reason"} <= form.names
    half = form.filled({"new_due-day": "31", "new_due-month": "1", "reason": "Waiting on stock."})
    wrong = post_fields(client, form.action, cookies, half)
    assert wrong.status_code == 400 and "New due date" in text_of(wrong)
    kept = the_form(wrong.text)
    assert kept.value("new_due-day") == "31" and kept.value("reason") == "Waiting on stock."
    whole = kept.filled({"new_due-year": "2027"})
    done = post_fields(client, form.action, cookies, whole)
    assert done.status_code == 200, text_of(done)
    shown = " ".join(all_text(chat_reply(hub, CHRIS, f"/qi show {ref}")))
    assert "31 Jan 2027" in shown, shown


# ---------------------------------------------------------------------------- the shell
def test_every_page_here_is_in_the_shell_with_the_strict_policy(
    hub: Harness, client: TestClient
) -> None:
    """My page, a form, a form with errors, a confirmation and a reply: each in the NHS shell,
    with the strict CSP, no inline script or style, never stored by a shared cache."""
    ref = ref_in(hub.submit_idea(ALEX, title="<script>alert(1)</script> labels"))
    approved(hub)
    cookies = signed_in(hub, client, ALEX)
    form = the_form(open_idea_form(client, cookies).text)
    card = post_fields(
        client,
        "/hub/press",
        cookies,
        sent_as_pressed(hub.drawn_button("idea.show", {"ref": ref}), csrf_of(client, cookies)),
    )
    withdraw = next(f for f in forms_in(card.text) if f.value("confirm"))
    pages = [
        request(client, "GET", "/hub/me", cookies),
        open_idea_form(client, cookies, "?kind=big"),
        post_fields(client, form.action, cookies, form.filled({"title": ""})),
        card,
        post_fields(client, "/hub/press", cookies, withdraw.fields),
    ]
    assert [p.status_code for p in pages] == [200, 200, 400, 200, 200]
    for shown in pages:
        policy = shown.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "unsafe" not in policy
        assert shown.headers["cache-control"] == "private, no-store"
        assert INLINE.search(shown.text) is None, INLINE.search(shown.text)
        assert shown.text.count("<h1") == 1
    assert "&lt;script&gt;alert(1)&lt;/script&gt; labels" in card.text


def test_the_idea_page_offers_the_chat_cards_buttons_to_whom_the_card_offers_them(
    hub: Harness, client: TestClient
) -> None:
    """The panel screens an idea from its web page and its submitter may withdraw it, through
    /hub/press as in chat; a member of staff is offered neither (and pressing the panel's
    button anyway is refused: the permission is checked on the press, not the page)."""
    ref = ref_in(hub.submit_idea(TOM), "IDEA")
    pressed = {
        who: [
            f.button
            for f in forms_in(request(client, "GET", f"/hub/ideas/{ref}", jar).text)
            if f.action == "/hub/press"
        ]
        for who, jar in (
            (SAM, signed_in(hub, client, SAM)),
            (TOM, signed_in(hub, client, TOM)),
            (ALEX, signed_in(hub, client, ALEX)),
        )
    }
    assert {"Eligible", "Not eligible"} <= set(pressed[SAM])
    assert pressed[TOM] == ["Withdraw"] and pressed[ALEX] == []
    sam = signed_in(hub, client, SAM)
    page = request(client, "GET", f"/hub/ideas/{ref}", sam).text
    asked = post_fields(client, "/hub/press", sam, press_form(page, "Not eligible").fields)
    assert ideas(hub)[0].status == "submitted"  # a question first: nothing done yet
    opened = post_fields(client, "/hub/press", sam, press_form(asked.text, "Confirm").fields)
    assert opened.status_code == 200, text_of(opened)
    form = the_form(opened.text)
    done = post_fields(client, form.action, sam, form.filled({"reason": "Outside the scheme."}))
    assert done.status_code == 200, text_of(done)
    assert [i.status for i in ideas(hub)] == ["not_eligible"]
    gone = request(client, "GET", f"/hub/ideas/{ref}", signed_in(hub, client, ALEX))
    assert gone.status_code == 404  # a private outcome: seen by the submitter and the panel
