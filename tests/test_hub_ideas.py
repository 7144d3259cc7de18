"""The ideas board on the web (/hub/ideas): who sees which idea, on the web and in chat alike
(handlers/ideas/visibility.py), and "Support this idea" through the chat button's own path.

Driven through the real `qihub web` app (TestClient) signed in with a link from chat, and the
real core (chat commands and presses through handlers.dispatch) on SQLite and PostgreSQL.
"""

from __future__ import annotations

import html
import re
import threading
from collections.abc import Iterator

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from bot.web import create_web_app
from handlers.config import OrgConfig
from handlers.context import Context
from handlers.directory import resolve_actor
from handlers.ideas import service
from messages.view import Reply, all_text
from store.models import IdeaSupport
from tests.harness import (
    ALEX,
    BIG_CASE,
    CHRIS,
    HELEN,
    JO,
    NADIA,
    SAM,
    TOM,
    Harness,
    button,
    buttons_of,
    ref_in,
    screened,
)
from tests.signin_kit import csrf_of, in_process, request, signed_in
from tests.test_hub_web import INLINE, directives
from tests.test_ideas import decide


@pytest.fixture
def client(hub: Harness) -> Iterator[TestClient]:
    with in_process(create_web_app(hub.app)) as client:
        yield client


class Browser:
    """One person signed in on the web: their cookies and CSRF token."""

    def __init__(self, hub: Harness, client: TestClient, who: str) -> None:
        self.client = client
        self.cookies = signed_in(hub, client, who)
        self.csrf = csrf_of(client, self.cookies)

    def get(self, path: str) -> httpx.Response:
        return request(self.client, "GET", path, self.cookies)

    def support(self, ref: str, csrf: str | None = None) -> httpx.Response:
        """Press "Support this idea" with the session's token, another (`csrf`), or none ("")."""
        data = {"csrf": self.csrf if csrf is None else csrf} if csrf != "" else {}
        return request(self.client, "POST", f"/hub/ideas/{ref}/support", self.cookies, data=data)


def supporters(hub: Harness, ref: str) -> tuple[int, int]:
    """The idea's support count and its supporter rows: always the same number."""
    with hub.app.uow_factory() as uow:
        idea = uow.ideas.by_ref(ref)
        assert idea is not None
        rows = uow.session.scalar(
            select(func.count()).select_from(IdeaSupport).where(IdeaSupport.idea_id == idea.id)
        )
        return idea.support_count, int(rows or 0)


def content(response: httpx.Response) -> str:
    """The page's own content as words (not the header, which names whoever is signed in)."""
    main = response.text.split("<main", 1)[-1].split("</main>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", "<main" + main)))


def said(response: object) -> str:
    assert isinstance(response, Reply), response
    return " ".join(all_text(response))


def redirected_to_hr(hub: Harness, who: str = ALEX) -> str:
    ref = ref_in(hub.submit_idea(who, title="My manager keeps changing my shifts"))
    decide(
        hub,
        SAM,
        ref,
        "Redirect",
        redirect_to="hr",
        reason="A personal matter for HR, in confidence.",
    )
    return ref


# ------------------------------------------------------------------ the board and its pages
def test_the_board_lists_ideas_newest_first_with_status_and_supporters(
    hub: Harness, client: TestClient
) -> None:
    first = screened(hub, ref_in(hub.submit_idea(title="Label the flushes")))
    second = screened(hub, ref_in(hub.submit_idea(TOM, title="Quieter night rounds")))
    hub.command(TOM, f"/idea support {first}")
    tom = Browser(hub, client, TOM)
    shown = tom.get("/hub/ideas")
    assert shown.status_code == 200
    text = content(shown)
    assert text.index(second) < text.index(first)  # newest first
    assert "Screened: eligible, awaiting review" in text and "nhsuk-tag--blue" in shown.text
    assert f'href="/hub/ideas/{first}"' in shown.text
    assert "Open: can still be supported: 2 ideas, newest first" in text


def test_the_filter_and_pages_have_stable_addresses(hub: Harness, client: TestClient) -> None:
    refs = [screened(hub, ref_in(hub.submit_idea(title=f"Idea number {n}"))) for n in range(21)]
    withdrawn = refs[0]
    opened = hub.command(ALEX, f"/idea withdraw {withdrawn}")
    hub.fill(ALEX, opened, {"reason": "Sorted out already."})
    tom = Browser(hub, client, TOM)
    first = tom.get("/hub/ideas?status=all&page=1")
    assert "(page 1 of 2)" in content(first)
    assert "/hub/ideas?status=all&amp;page=2" in first.text
    second = content(tom.get("/hub/ideas?status=all&page=2"))
    assert refs[0] in second and refs[1] not in second  # the oldest is last
    open_ideas = content(tom.get("/hub/ideas?status=open"))
    assert withdrawn not in open_ideas and "20 ideas" in open_ideas
    closed = content(tom.get("/hub/ideas?status=closed"))
    assert withdrawn in closed and "Withdrawn by the submitter" in closed
    assert "No ideas here yet." in content(tom.get("/hub/ideas?status=implemented"))
    assert tom.get("/hub/ideas?status=all&page=3").status_code == 404
    assert tom.get("/hub/ideas?page=x").status_code == 404
    bad = tom.get("/hub/ideas?status=everything")
    assert bad.status_code == 400
    assert "There is a problem" in content(bad) and 'href="#status"' in bad.text


def test_my_ideas_is_the_web_twin_of_idea_mine(hub: Harness, client: TestClient) -> None:
    mine = ref_in(hub.submit_idea(title="Label the flushes"))
    hub.submit_idea(mode="anonymous", title="Anonymous one")
    hub.submit_idea(TOM, title="Tom's idea")
    chat = said(hub.command(ALEX, "/idea mine"))
    page = content(Browser(hub, client, ALEX).get("/hub/ideas/mine"))
    assert mine in page and "Label the flushes" in page
    assert "Anonymous one" not in page and "Tom's idea" not in page
    assert "Anonymous one" not in chat
    note = "Anonymous ideas are not listed (we keep no link to you)"
    assert note in page and note in chat
    assert "You have 1 idea" in page


def test_the_idea_page_shows_the_idea_its_decisions_and_their_reasons(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_idea())
    decide(hub, SAM, ref, "Eligible", reason="A simple fix the ward can own.")
    decide(hub, SAM, ref, "Start review", reason="Pharmacy to cost the labels.")
    hub.command(TOM, f"/idea support {ref}")
    page = content(Browser(hub, client, JO).get(f"/hub/ideas/{ref}"))
    for expected in (
        "Label the flush syringes by colour",
        "Saline and heparin flushes look alike on the trolley.",
        "Colour-coded labels on each flush syringe.",
        "Under review by the ideas panel",
        "Alex Morgan",
        "Supporters 1",
        "Latest decision: Pharmacy to cost the labels.",
        "eligible. Reason: A simple fix the ward can own.",
        "review. Reason: Pharmacy to cost the labels.",
        "26 November 2026: submitted",
    ):
        assert expected in page, expected


def test_the_pages_carry_the_strict_policy_and_no_inline_script_or_style(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_idea())
    tom = Browser(hub, client, TOM)
    for path in ("/hub/ideas", "/hub/ideas/mine", f"/hub/ideas/{ref}", "/hub/ideas?status=x"):
        shown = tom.get(path)
        policy = directives(shown.headers["content-security-policy"])
        assert policy["default-src"] == ["'none'"] and "script-src" not in policy, path
        assert INLINE.search(shown.text) is None, path
        assert shown.headers["cache-control"] == "private, no-store", path
        assert '<a class="nhsuk-header__navigation-link" href="/hub/ideas"' in shown.text


def test_signed_out_the_pages_send_you_to_sign_in(hub: Harness, client: TestClient) -> None:
    ref = ref_in(hub.submit_idea())
    for path in ("/hub/ideas", "/hub/ideas/mine", f"/hub/ideas/{ref}"):
        shown = request(client, "GET", path)
        assert shown.status_code == 303, path
        assert shown.headers["location"].startswith("/hub/signin?next=/hub/ideas"), path
    posted = request(client, "POST", f"/hub/ideas/{ref}/support", data={"csrf": "x"})
    assert posted.status_code == 303
    assert posted.headers["location"] == f"/hub/signin?next=/hub/ideas/{ref}"
    assert supporters(hub, ref) == (0, 0)


# ------------------------------------------------------------------ support with one press
def test_a_web_press_then_the_chat_button_count_once(hub: Harness, client: TestClient) -> None:
    ref = screened(hub, ref_in(hub.submit_idea()))
    card = hub.command(TOM, f"/idea status {ref}")
    assert isinstance(card, Reply)
    chat_button = button(card, "Support this idea")
    tom = Browser(hub, client, TOM)
    assert 'action="/hub/ideas/' + ref + '/support"' in tom.get(f"/hub/ideas/{ref}").text
    pressed = tom.support(ref)
    assert pressed.status_code == 200
    assert f"Thank you for supporting {ref}: it now has 1 supporter." in content(pressed)
    assert "nhsuk-notification-banner--success" in pressed.text
    assert "/support" not in pressed.text  # no button once supported, as in chat
    assert "already support" in said(hub.press(TOM, chat_button))
    assert "Support this idea" not in [b.label for b in buttons_of(_card(hub, TOM, ref))]
    assert supporters(hub, ref) == (1, 1)


def test_the_chat_then_a_web_press_count_once_and_say_already(
    hub: Harness, client: TestClient
) -> None:
    ref = screened(hub, ref_in(hub.submit_idea()))
    assert "1 supporter" in said(hub.command(TOM, f"/idea support {ref}"))
    tom = Browser(hub, client, TOM)
    assert "/support" not in tom.get(f"/hub/ideas/{ref}").text
    again = tom.support(ref)  # an old page, or a double press
    assert again.status_code == 409
    assert f"You already support {ref}: one support per person." in content(again)
    assert tom.support(ref).status_code == 409
    assert supporters(hub, ref) == (1, 1)


def test_your_own_idea_is_refused_on_the_web(hub: Harness, client: TestClient) -> None:
    ref = ref_in(hub.submit_idea())
    alex = Browser(hub, client, ALEX)
    assert "/support" not in alex.get(f"/hub/ideas/{ref}").text
    refused = alex.support(ref)
    assert refused.status_code == 409
    assert "You can't support your own idea" in content(refused)
    assert supporters(hub, ref) == (0, 0)


def test_a_closed_idea_is_refused_on_the_web(hub: Harness, client: TestClient) -> None:
    ref = ref_in(hub.submit_idea())
    tom = Browser(hub, client, TOM)
    hub.fill(ALEX, hub.command(ALEX, f"/idea withdraw {ref}"), {"reason": "No longer needed."})
    assert "/support" not in tom.get(f"/hub/ideas/{ref}").text
    refused = tom.support(ref)
    assert refused.status_code == 409
    assert f"{ref} is closed, so it can no longer be supported." in content(refused)
    assert supporters(hub, ref) == (0, 0)


def test_without_the_support_permission_the_press_is_refused(
    hub: Harness, client: TestClient, config: OrgConfig
) -> None:
    ref = screened(hub, ref_in(hub.submit_idea()))  # Tom sees it, but may not support it
    tom = Browser(hub, client, TOM)
    narrowed = {**config.permissions, "idea.support": ["ideas_panel"]}
    hub.app.services.config = config.model_copy(update={"permissions": narrowed})
    try:
        assert "/support" not in tom.get(f"/hub/ideas/{ref}").text
        refused = tom.support(ref)
        chat = said(hub.command(TOM, f"/idea support {ref}"))
    finally:
        hub.app.services.config = config
    assert refused.status_code == 403
    assert "Sorry, you can't do that: it is for ideas panel" in content(refused)
    assert "Sorry, you can't do that" in chat
    assert supporters(hub, ref) == (0, 0)


def test_a_press_without_the_csrf_token_changes_nothing(hub: Harness, client: TestClient) -> None:
    ref = ref_in(hub.submit_idea())
    tom = Browser(hub, client, TOM)
    assert tom.support(ref, csrf="").status_code == 403
    assert tom.support(ref, csrf="0" * 64).status_code == 403
    elsewhere = request(
        client,
        "POST",
        f"/hub/ideas/{ref}/support",
        tom.cookies,
        data={"csrf": tom.csrf},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert elsewhere.status_code == 403
    assert supporters(hub, ref) == (0, 0)


@pytest.mark.postgres
def test_two_presses_at_once_count_once_and_the_second_says_already(
    hub: Harness, client: TestClient, db_url: str
) -> None:
    """The first press holds the idea's row; the second (the web's) waits for it, then reads
    that it was supported: told "already", not "could not reach the database"."""
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite takes one writer at a time: two presses cannot overlap")
    ref = screened(hub, ref_in(hub.submit_idea()))
    tom = Browser(hub, client, TOM)
    answers: list[httpx.Response] = []
    with hub.app.uow_factory() as uow:  # the chat's press, not yet committed
        ctx = Context(hub.app.services, uow, resolve_actor(uow, TOM), "test")
        service.support(ctx, service.find(ctx, ref))
        web = threading.Thread(target=lambda: answers.append(tom.support(ref)))
        web.start()
        web.join(timeout=1.0)
        assert web.is_alive()  # waiting for the row
        uow.commit()
    web.join(timeout=30)
    (answer,) = answers
    assert answer.status_code == 409, answer.text
    assert "already support" in content(answer)
    assert supporters(hub, ref) == (1, 1)


# ------------------------------------------------------------------ who sees which idea
def test_an_idea_redirected_to_hr_is_hidden_from_other_staff_on_the_web_and_in_chat(
    hub: Harness, client: TestClient
) -> None:
    ref = redirected_to_hr(hub)
    missing = "IDEA-2026-0099"
    tom = Browser(hub, client, TOM)
    assert ref not in content(tom.get("/hub/ideas?status=all"))
    hidden, absent = tom.get(f"/hub/ideas/{ref}"), tom.get(f"/hub/ideas/{missing}")
    assert hidden.status_code == absent.status_code == 404
    assert content(hidden).replace(ref, missing) == content(absent)
    assert "shifts" not in hidden.text and "HR" not in content(hidden)
    pressed = tom.support(ref)
    assert pressed.status_code == 404 and "shifts" not in pressed.text
    chat_status = said(hub.command(TOM, f"/idea status {ref}"))
    assert chat_status.replace(ref, missing) == said(hub.command(TOM, f"/idea status {missing}"))
    opened = said(hub.press(TOM, hub.drawn_button("idea.show", {"ref": ref})))
    assert f"No idea matches {ref!r}" in opened and "shifts" not in opened
    supported = said(hub.command(TOM, f"/idea support {ref}"))
    assert f"No idea matches {ref!r}" in supported
    assert supporters(hub, ref) == (0, 0)


@pytest.mark.parametrize("who", [ALEX, SAM, CHRIS, NADIA])
def test_a_redirected_idea_is_seen_by_its_submitter_and_the_panel(
    hub: Harness, client: TestClient, who: str
) -> None:
    """Alex submitted it; Sam sits on the ideas panel; Chris may see confidential ideas
    (governance lead); Nadia may list every idea (admin)."""
    ref = redirected_to_hr(hub)
    page = content(Browser(hub, client, who).get(f"/hub/ideas/{ref}"))
    assert "My manager keeps changing my shifts" in page
    assert "A personal matter for HR, in confidence." in page
    assert ref in content(Browser(hub, client, who).get("/hub/ideas?status=closed"))
    assert "My manager keeps changing my shifts" in said(hub.command(who, f"/idea status {ref}"))


def test_an_idea_found_not_eligible_is_hidden_from_other_staff(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_idea(title="Free parking for everyone"))
    decide(hub, SAM, ref, "Not eligible", reason="Outside the scheme.")
    assert "No idea matches" in said(hub.command(TOM, f"/idea status {ref}"))
    assert Browser(hub, client, TOM).get(f"/hub/ideas/{ref}").status_code == 404
    assert Browser(hub, client, ALEX).get(f"/hub/ideas/{ref}").status_code == 200


def hidden_from(hub: Harness, client: TestClient, who: str, ref: str) -> None:
    """`who` is answered about `ref` exactly as about a reference that does not exist: not on
    the board, its page the same 404, and the same "no idea matches" in chat."""
    missing = "IDEA-2026-0099"
    browser = Browser(hub, client, who)
    assert ref not in content(browser.get("/hub/ideas?status=all"))
    hidden, absent = browser.get(f"/hub/ideas/{ref}"), browser.get(f"/hub/ideas/{missing}")
    assert hidden.status_code == absent.status_code == 404
    assert hidden.content.replace(ref.encode(), missing.encode()) == absent.content
    assert browser.support(ref).status_code == 404
    chat = said(hub.command(who, f"/idea status {ref}"))
    assert chat.replace(ref, missing) == said(hub.command(who, f"/idea status {missing}"))
    assert f"No idea matches {ref!r}" in said(hub.command(who, f"/idea support {ref}"))
    assert supporters(hub, ref) == (0, 0)


def seen_by(hub: Harness, client: TestClient, who: str, ref: str, title: str) -> None:
    browser = Browser(hub, client, who)
    assert ref in content(browser.get("/hub/ideas?status=all"))
    assert title in content(browser.get(f"/hub/ideas/{ref}"))
    assert title in said(hub.command(who, f"/idea status {ref}"))


GRIEVANCE = "Bullying by my manager on nights"
"""What a fresh idea may really be, until the panel redirects it (to Freedom to Speak Up)."""


def test_an_unscreened_idea_is_hidden_from_other_staff_on_the_web_and_in_chat(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_idea(title=GRIEVANCE))
    hidden_from(hub, client, TOM, ref)
    assert GRIEVANCE not in content(Browser(hub, client, TOM).get("/hub/ideas"))


@pytest.mark.parametrize("who", [ALEX, SAM, CHRIS, NADIA])
def test_an_unscreened_idea_is_seen_by_its_submitter_and_the_panel(
    hub: Harness, client: TestClient, who: str
) -> None:
    """Alex submitted it; Sam screens ideas; Chris may see confidential ideas; Nadia may list
    every idea: as for a redirected idea."""
    ref = ref_in(hub.submit_idea(title=GRIEVANCE))
    seen_by(hub, client, who, ref, GRIEVANCE)


def test_once_screened_eligible_every_member_of_staff_sees_and_supports_it(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_idea(title="Label the flushes"))
    hidden_from(hub, client, TOM, ref)
    screened(hub, ref)
    seen_by(hub, client, TOM, ref, "Label the flushes")
    pressed = Browser(hub, client, TOM).support(ref)
    assert pressed.status_code == 200 and "it now has 1 supporter" in content(pressed)
    assert supporters(hub, ref) == (1, 1)


def test_an_unscreened_big_idea_is_seen_by_its_named_sponsor_who_may_accept_it(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(hub.submit_big_idea(title=GRIEVANCE))  # shared directly: awaiting Helen
    hidden_from(hub, client, TOM, ref)
    seen_by(hub, client, HELEN, ref, GRIEVANCE)
    hub.deliver()
    asked = [r for r in hub.platform.to(HELEN) if r.summary.startswith("Will you sponsor")]
    accepted = said(hub.press(HELEN, button(asked[-1], "Accept sponsorship")))
    assert "you are now the sponsor" in accepted
    seen_by(hub, client, HELEN, ref, GRIEVANCE)  # accepted, not yet screened: still hers
    hidden_from(hub, client, TOM, ref)


def test_a_promoted_idea_awaiting_its_sponsor_stays_seen_by_staff(
    hub: Harness, client: TestClient
) -> None:
    """Promotion comes after screening: waiting for a sponsor again hides nothing."""
    ref = screened(hub, ref_in(hub.submit_idea(title="Label the flushes")))
    decide(hub, SAM, ref, "Start review")
    decide(hub, SAM, ref, "Promote to Big Idea", **BIG_CASE)
    with hub.app.uow_factory() as uow:
        promoted = uow.ideas.by_ref(ref)
        assert promoted is not None and promoted.status == "awaiting_sponsor"
    seen_by(hub, client, TOM, ref, "Label the flushes")


def test_the_receipt_holder_follows_and_withdraws_an_unscreened_anonymous_idea(
    hub: Harness,
) -> None:
    reply = hub.submit_idea(mode="anonymous", title=GRIEVANCE)
    ref = ref_in(reply)
    receipt = next(t for t in all_text(reply) if "receipt code is" in t).rsplit(" ", 1)[1]
    assert "No idea matches" in said(hub.command(TOM, f"/idea status {ref}"))
    assert GRIEVANCE in said(hub.command(TOM, f"/idea status {receipt}"))
    done = hub.fill(
        TOM, hub.command(TOM, f"/idea withdraw {receipt}"), {"reason": "Sorted out another way."}
    )
    assert "withdrawn" in said(done).lower()
    with hub.app.uow_factory() as uow:
        withdrawn = uow.ideas.by_ref(ref)
        assert withdrawn is not None and withdrawn.status == "withdrawn"


def test_a_receipt_still_finds_a_redirected_anonymous_idea(hub: Harness) -> None:
    reply = hub.submit_idea(mode="anonymous", title="Bullying on nights")
    ref = ref_in(reply)
    receipt = next(t for t in all_text(reply) if "receipt code is" in t).rsplit(" ", 1)[1]
    decide(hub, SAM, ref, "Redirect", redirect_to="ftsu", reason="Please speak up in confidence.")
    assert "Bullying on nights" in said(hub.command(TOM, f"/idea status {receipt}"))
    assert "No idea matches" in said(hub.command(TOM, f"/idea status {ref}"))


def test_a_confidential_submitter_is_named_only_to_who_the_chat_names_them_to(
    hub: Harness, client: TestClient
) -> None:
    ref = screened(hub, ref_in(hub.submit_idea(mode="confidential")))
    tom = content(Browser(hub, client, TOM).get(f"/hub/ideas/{ref}"))
    assert "Submitted by Confidential" in tom and "Alex Morgan" not in tom
    for who in (ALEX, SAM):
        assert "Alex Morgan (confidential)" in content(
            Browser(hub, client, who).get(f"/hub/ideas/{ref}")
        )


def test_an_anonymous_idea_never_names_anyone(hub: Harness, client: TestClient) -> None:
    ref = screened(hub, ref_in(hub.submit_idea(mode="anonymous")))
    hub.command(TOM, f"/idea support {ref}")
    for who in (ALEX, TOM, SAM, NADIA):
        browser = Browser(hub, client, who)
        for path in (f"/hub/ideas/{ref}", "/hub/ideas", "/hub/ideas/mine"):
            page = content(browser.get(path))
            assert "Alex Morgan" not in page and "Tom Baker" not in page, (who, path)
        assert "Submitted by Anonymous" in content(browser.get(f"/hub/ideas/{ref}"))


def _card(hub: Harness, who: str, ref: str) -> Reply:
    card = hub.command(who, f"/idea status {ref}")
    assert isinstance(card, Reply)
    return card


def test_a_sponsors_card_is_not_redrawn_with_a_redirect_they_may_not_see(hub: Harness) -> None:
    """Cards show the truth, but only to who may see it: the sponsor's request card is not
    redrawn with an HR redirect and its reason (handlers/ideas/cards.py)."""
    ref = ref_in(hub.submit_big_idea())
    hub.deliver()
    asked = [r for r in hub.platform.to(HELEN) if r.summary.startswith("Will you sponsor")]
    hub.press(HELEN, button(asked[-1], "Accept sponsorship"))
    hub.deliver()
    before = len([r for h, r in hub.platform.updated if h["to"] == HELEN])
    decide(hub, SAM, ref, "Redirect", redirect_to="hr", reason="A personal matter for HR.")
    hub.deliver()
    redrawn = [r for h, r in hub.platform.updated if h["to"] == HELEN]
    assert len(redrawn) == before
    assert all("personal matter" not in said(r) for r in [*redrawn, *hub.platform.to(HELEN)])


def test_without_idea_view_the_pages_are_refused(
    hub: Harness, client: TestClient, config: OrgConfig
) -> None:
    ref = ref_in(hub.submit_idea())
    tom = Browser(hub, client, TOM)
    narrowed = {**config.permissions, "idea.view": ["ideas_panel"]}
    hub.app.services.config = config.model_copy(update={"permissions": narrowed})
    try:
        for path in ("/hub/ideas", "/hub/ideas/mine", f"/hub/ideas/{ref}"):
            refused = tom.get(path)
            assert refused.status_code == 403, path
            assert "The ideas board is for ideas panel." in content(refused), path
            assert "flush" not in content(refused).lower(), path
    finally:
        hub.app.services.config = config
