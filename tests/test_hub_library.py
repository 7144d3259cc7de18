"""The learning library on the web (/hub/library, /hub/lessons/{ref}): the chat's own search
and the chat's own permission check, through the real `qihub web` app, signed in with a link
from chat, on both databases.

Each person sees on the web exactly what they can read in chat: the results are compared with
`/qi search` reference by reference, and a lesson's page with `/lesson status` person by person.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import quote

import httpx2 as httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from bot.web import create_web_app
from handlers.config import OrgConfig
from handlers.lessons.links import lesson_url
from messages.view import Items, Reply, Response, all_text
from tests.harness import (
    ALEX,
    CHRIS,
    HELEN,
    NADIA,
    PRIYA,
    TOM,
    Harness,
    button,
    ref_in,
    submit_lesson,
)
from tests.lessons_flow import decided_lesson
from tests.signin_kit import in_process, request, signed_in
from tests.signin_kit import words as tagless
from tests.test_hub_web import INLINE
from tests.test_search import Library

HAPPENED = "A distinctive flush mix-up on the night shift."
NOTE = "Internal: discussed with pharmacy before the meeting."
MESSAGE = "Thank you: the Patient Safety Committee meets on Monday."
RATIONALE = "Proportionate to the risk."
LESSON_LINK = re.compile(r'href="/hub/lessons/(LL-\d{4}-\d{4})"')


@pytest.fixture
def client(hub: Harness) -> Iterator[TestClient]:
    with in_process(create_web_app(hub.app)) as client:
        yield client


def words(response: httpx.Response) -> str:
    """The page's words as a reader sees them (tags gone, entities read)."""
    return html.unescape(tagless(response))


def text_of(response: Response) -> str:
    assert isinstance(response, Reply), response
    return " ".join(all_text(response))


def chat_refs(hub: Harness, who: str, text: str, page: int = 1) -> list[str]:
    """The references `/qi search` lists, page by page through its "Next page" button."""
    reply = hub.command(who, f"/qi search {text}")
    for _ in range(page - 1):
        assert isinstance(reply, Reply)
        reply = hub.press(who, button(reply, "Next page"))
    assert isinstance(reply, Reply), reply
    return [item.ref for block in reply.blocks if isinstance(block, Items) for item in block.items]


def web_refs(client: TestClient, cookies: dict[str, str], path: str) -> list[str]:
    shown = request(client, "GET", path, cookies)
    assert shown.status_code == 200, shown.text
    return LESSON_LINK.findall(shown.text)


def triage(hub: Harness, ref: str, **values: str) -> None:
    card = hub.command(CHRIS, f"/qi show {ref}")
    assert isinstance(card, Reply), card
    done = hub.fill(
        CHRIS,
        hub.press(CHRIS, button(card, "Take to committee")),
        {
            "deidentified": "yes",
            **values,
        },
    )
    assert isinstance(done, Reply), done


def stocked(hub: Harness) -> Library:
    """Lessons across committees, sites, departments, sources and SRGs, one untriaged."""
    library = Library(hub)
    library.add("Flush labels at Liverpool", units=(("site", "liverpool"),), srg="lung")
    library.add("Flush storage on ward 4", units=(("department", "ward-4"),), committee="PEC")
    library.add("Flush audit at Wirral", units=(("site", "wirral"),), source="clinical_audit")
    library.add(
        "Syringe labels",
        actions=(("Relabel the trolley", "verified", "Colour-coded flush labels"),),
        srg="breast",
    )
    library.add("Flush still to triage", status="submitted")
    library.add("Ward 5 flush handover", units=(("department", "ward-5"),), committee="CEC")
    return library


# ---------------------------------------------------------------- the library finds what chat finds

SEARCHES = [
    ("", {}),
    ("flush", {}),
    ("flush", {"unit": "liverpool"}),
    ("flush", {"unit": "ward-4"}),
    ("", {"committee": "PEC"}),
    ("labels", {"srg": "lung"}),
    ("", {"source": "clinical_audit"}),
    ("colour coded", {}),
    ("flush", {"committee": "psc", "unit": "Liverpool"}),
    ("nothing-like-this", {}),
]


@pytest.mark.parametrize(("q", "filters"), SEARCHES)
def test_the_web_finds_exactly_what_qi_search_finds(
    hub: Harness, client: TestClient, q: str, filters: dict[str, str]
) -> None:
    stocked(hub)
    cookies = signed_in(hub, client, TOM)
    typed = " ".join([q, *(f"{key}:{value}" for key, value in filters.items())])
    path = "/hub/library?" + "&".join(f"{k}={quote(v)}" for k, v in {"q": q, **filters}.items())
    assert web_refs(client, cookies, path) == chat_refs(hub, TOM, typed)


def test_filters_typed_among_the_words_work_as_in_chat(hub: Harness, client: TestClient) -> None:
    stocked(hub)
    cookies = signed_in(hub, client, TOM)
    typed = web_refs(client, cookies, "/hub/library?q=flush+unit%3Aliverpool")
    assert typed == web_refs(client, cookies, "/hub/library?q=flush&unit=liverpool")
    assert typed == chat_refs(hub, TOM, "flush unit:liverpool")


def test_results_show_ref_committee_status_and_what_changed(
    hub: Harness, client: TestClient
) -> None:
    ref = stocked(hub).add(
        "Oxygen cylinder checks",
        actions=(("Check cylinders daily", "verified", "Daily cylinder check on the board"),),
    )
    cookies = signed_in(hub, client, ALEX)
    shown = request(client, "GET", "/hub/library?q=oxygen", cookies)
    said = words(shown)
    assert f'href="/hub/lessons/{ref}"' in shown.text
    for text in (
        "Oxygen cylinder checks",
        ref,
        "Patient Safety Committee",
        "Actions in progress",
        "What changed: Daily cylinder check on the board",
        "Lessons 1–1 of 1",
    ):
        assert text in said, text
    assert 'value="oxygen"' in shown.text
    assert INLINE.search(shown.text) is None
    assert "default-src 'none'" in shown.headers["content-security-policy"]
    latest = words(request(client, "GET", "/hub/library", cookies))
    assert "The latest lessons" in latest and "No verified change yet" in latest


def test_the_results_are_paged_with_shareable_addresses(hub: Harness, client: TestClient) -> None:
    library = Library(hub)
    for n in range(23):
        library.add(f"Flush round {n}", units=(("site", "liverpool"),))
    cookies = signed_in(hub, client, TOM)
    first = request(client, "GET", "/hub/library?q=flush&unit=liverpool", cookies)
    assert "Lessons 1–10 of 23" in words(first)
    assert 'href="/hub/library?q=flush&amp;unit=liverpool&amp;page=2"' in first.text
    assert "nhsuk-pagination" in first.text
    for page, count, label in ((2, 10, "Lessons 11–20 of 23"), (3, 3, "Lessons 21–23 of 23")):
        path = f"/hub/library?q=flush&unit=liverpool&page={page}"
        shown = request(client, "GET", path, cookies)
        assert label in words(shown)
        assert LESSON_LINK.findall(shown.text) == chat_refs(hub, TOM, "flush unit:liverpool", page)
        assert len(LESSON_LINK.findall(shown.text)) == count
    for past in ("4", "0", "x", "-1", "99999999999999999999"):
        gone = request(client, "GET", f"/hub/library?q=flush&page={past}", cookies)
        assert gone.status_code == 404, past


def test_a_filter_the_config_does_not_know_is_400_with_the_chats_message(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, TOM)
    told = text_of(hub.command(TOM, "/qi search flush unit:mars"))
    shown = request(client, "GET", "/hub/library?q=flush+labels&unit=mars", cookies)
    assert shown.status_code == 400
    message = "unit: was given 'mars', which is not a site or department code."
    assert message in told and message in words(shown)
    assert "There is a problem" in words(shown)
    assert 'value="flush labels"' in shown.text  # what was typed is kept
    twice = request(client, "GET", "/hub/library?q=unit%3Award-4&unit=ward-5", cookies)
    assert twice.status_code == 400 and "Give unit: once only." in words(twice)


def test_signed_out_the_pages_send_you_to_sign_in_and_back(
    hub: Harness, client: TestClient
) -> None:
    for path in ("/hub/library?q=flush&unit=liverpool&page=2", "/hub/lessons/LL-2026-0001"):
        sent = request(client, "GET", path)
        assert sent.status_code == 303
        assert sent.headers["location"] == f"/hub/signin?next={quote(path, safe='/')}"


# ------------------------------------------------------------------ who reads which lesson


def test_an_untriaged_lesson_is_not_found_and_its_page_is_404_for_other_staff(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(submit_lesson(hub, who=TOM, what_happened=HAPPENED), "LL")
    readers = {who: signed_in(hub, client, who) for who in (ALEX, TOM, CHRIS, NADIA, PRIYA)}
    for who, cookies in readers.items():
        in_chat = HAPPENED in text_of(hub.command(who, f"/lesson status {ref}"))
        page = request(client, "GET", f"/hub/lessons/{ref}", cookies)
        assert page.status_code == (200 if in_chat else 404), who
        assert (HAPPENED in page.text) == in_chat, who
        # the library holds only triaged lessons, for everyone, as /qi search does
        assert web_refs(client, cookies, "/hub/library?q=distinctive") == []
        assert chat_refs(hub, who, "distinctive") == []
    assert {w for w in readers if HAPPENED in text_of(hub.command(w, f"/qi show {ref}"))} == {
        TOM,
        CHRIS,
    }
    triage(hub, ref)
    for who, cookies in readers.items():
        assert web_refs(client, cookies, "/hub/library?q=distinctive") == [ref], who
        page = request(client, "GET", f"/hub/lessons/{ref}", cookies)
        assert page.status_code == 200 and HAPPENED in page.text, who


def test_not_found_is_the_same_page_for_missing_restricted_and_malformed(
    hub: Harness, client: TestClient
) -> None:
    restricted = ref_in(submit_lesson(hub, who=TOM, what_happened=HAPPENED), "LL")
    missing = "LL-2026-0099"
    cookies = signed_in(hub, client, ALEX)
    pages = [
        request(client, "GET", f"/hub/lessons/{ref}", cookies)
        for ref in (restricted, missing, "ll-2026-0001", "LL-2026-1", "R-ABCD-1234", "%20")
    ]
    assert [p.status_code for p in pages] == [404] * len(pages)
    assert len({p.text for p in pages}) == 1
    assert restricted not in pages[0].text and "Page not found" in pages[0].text
    headers = [{k: v for k, v in p.headers.items() if k != "x-request-id"} for p in pages]
    assert all(h == headers[0] for h in headers)


def test_committee_notes_are_for_the_committee_only(hub: Harness, client: TestClient) -> None:
    ref = ref_in(submit_lesson(hub, who=ALEX), "LL")
    triage(hub, ref, note=NOTE, message=MESSAGE)
    for who in (ALEX, TOM, CHRIS, HELEN, PRIYA):
        card = text_of(hub.command(who, f"/qi show {ref}"))
        page = words(request(client, "GET", f"/hub/lessons/{ref}", signed_in(hub, client, who)))
        for secret in (NOTE, MESSAGE):
            assert (secret in page) == (secret in card), (who, secret)
        assert (NOTE in page) == (who in (CHRIS, HELEN)), who
        assert (MESSAGE in page) == (who in (ALEX, CHRIS, HELEN)), who


def test_the_page_shows_what_changed_and_each_actions_tier_strength_and_rag(
    hub: Harness, client: TestClient
) -> None:
    ref = decided_lesson(hub, ["1", "2"])
    library = Library(hub)
    library.count = 50
    verified = library.add(
        "Flush labels changed",
        actions=(("Relabel the trolley", "verified", "Colour-coded flush labels"),),
    )
    cookies = signed_in(hub, client, TOM)
    page = words(request(client, "GET", f"/hub/lessons/{verified}", cookies))
    card = text_of(hub.command(TOM, f"/qi show {verified}"))
    for text in (
        "What changed",
        "Colour-coded flush labels",
        "Evidence: Colour-coded flush labels",
        "Relabel the trolley",
        "Blue: completed and verified",
        "Verified complete",
    ):
        assert text in page, text
    tier = hub.app.config.tier(2)
    assert f"2 · {tier.name} (" in page
    assert "tier 2" in card
    decided = words(request(client, "GET", f"/hub/lessons/{ref}", cookies))
    for fact in ("Patient Safety Committee", "Liverpool", "Ward 4", "Tiers", "weaker action"):
        assert fact in decided, fact
    assert RATIONALE not in decided  # Tom is staff: the rationale is the committee's
    helen = words(request(client, "GET", f"/hub/lessons/{ref}", signed_in(hub, client, HELEN)))
    assert RATIONALE in helen


def test_a_chat_card_links_to_the_lessons_page(hub: Harness, client: TestClient) -> None:
    ref = ref_in(submit_lesson(hub, who=ALEX), "LL")
    url = lesson_url(hub.app.config, ref)
    assert url == f"http://localhost:3000/hub/lessons/{ref}"
    assert url in text_of(hub.command(ALEX, f"/qi show {ref}"))
    shown = request(client, "GET", url, signed_in(hub, client, ALEX))
    assert shown.status_code == 200 and ref in shown.text


# ------------------------------------------------------------------------ header and navigation


def test_the_header_search_shows_lessons_to_someone_signed_in(
    hub: Harness, client: TestClient
) -> None:
    library = stocked(hub)
    for n in range(4):
        library.add(f"Flush extra {n}")
    cookies = signed_in(hub, client, TOM)
    shown = request(client, "GET", "/hub/search?q=flush", cookies)
    assert shown.status_code == 200
    assert LESSON_LINK.findall(shown.text) == chat_refs(hub, TOM, "flush")[:3]
    assert 'href="/hub/library?q=flush"' in shown.text
    assert "See all 9 lessons in the learning library" in words(shown)
    nobody = request(client, "GET", "/hub/search?q=flush")
    assert LESSON_LINK.findall(nobody.text) == [] and "learning library" not in nobody.text
    odd = request(client, "GET", "/hub/search?q=flush+unit%3Amars", cookies)
    assert odd.status_code == 200 and "not a site or department code" in words(odd)


def test_the_navigation_leads_to_the_library_and_marks_it_current(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, NADIA)
    shown = request(client, "GET", "/hub/library", cookies)
    current = re.findall(r'<a[^>]*href="([^"]+)"[^>]*aria-current="page"', shown.text)
    assert current == ["/hub/library"]
    assert 'href="/hub/library"' in request(client, "GET", "/hub").text


# ------------------------------------------------------------------------------- bounded queries


def statements(hub: Harness, client: TestClient, cookies: dict[str, str], path: str) -> int:
    """How many SQL statements one GET of `path` runs (sign-in's session look-up included)."""
    count = 0

    def counted(*_args: object) -> None:
        nonlocal count
        count += 1

    event.listen(hub.app.engine, "before_cursor_execute", counted)
    try:
        assert request(client, "GET", path, cookies).status_code == 200, path
    finally:
        event.remove(hub.app.engine, "before_cursor_execute", counted)
    return count


def test_the_pages_run_as_many_queries_for_many_rows_as_for_one(
    hub: Harness, client: TestClient
) -> None:
    """No query per row: the benchmark at 100,000 lessons depends on it (issue 17, item 7)."""
    library = Library(hub)
    one = library.add("Flush alone", actions=(("Relabel", "verified", "Labels"),))
    cookies = signed_in(hub, client, TOM)
    few = statements(hub, client, cookies, "/hub/library?q=flush")
    page = statements(hub, client, cookies, f"/hub/lessons/{one}")
    actions = tuple((f"Step {n}", "verified", f"Change {n}") for n in range(6))
    many = library.add("Flush with six actions", actions=actions)
    for n in range(12):
        library.add(f"Flush more {n}", actions=(("Relabel", "verified", "Labels"),))
    assert statements(hub, client, cookies, "/hub/library?q=flush") == few
    assert statements(hub, client, cookies, f"/hub/lessons/{many}") == page


def test_without_the_chats_permissions_the_library_and_lesson_pages_are_refused(
    hub: Harness, client: TestClient, config: OrgConfig
) -> None:
    """A trust that keeps /qi search or a lesson's card from a role keeps the web pages from it
    too: the permission is the chat's, read from the registry, checked on every request."""
    ref = decided_lesson(hub, ["1"])
    alex = signed_in(hub, client, ALEX)
    assert "Lessons in the learning library" in tagless(
        request(client, "GET", "/hub/search?q=flush", alex)
    )
    for permission, path in (
        ("qi.search", "/hub/library?q=flush"),
        ("lesson.view", f"/hub/lessons/{ref}"),
    ):
        narrowed = {**config.permissions, permission: ["admin"]}
        hub.app.services.config = config.model_copy(update={"permissions": narrowed})
        try:
            refused = request(client, "GET", path, alex)
            assert refused.status_code == 403, path
            assert "You cannot use the library" in tagless(refused)
            assert ref not in refused.text
            if permission == "qi.search":  # the header's search leaves lessons out too
                header = request(client, "GET", "/hub/search?q=flush", alex)
                assert "Lessons in the learning library" not in tagless(header)
        finally:
            hub.app.services.config = config
    assert request(client, "GET", f"/hub/lessons/{ref}", alex).status_code == 200
