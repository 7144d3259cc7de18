"""The Hub's pages at their edges, as an outside trial found them: addresses that are no page
get the NHS "Page not found" page (never a 500, never JSON), no redirect is built from the
Host header, references read in any case, and the navigation marks the right section."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from bot.web import create_web_app
from tests.harness import ALEX, TOM, Harness, ref_in, screened, submit_lesson
from tests.lessons_flow import decided_lesson
from tests.signin_kit import csrf_of, in_process, request, signed_in, words

CURRENT = re.compile(r'navigation-item--current">\s*<a[^>]*href="([^"]+)"')


@pytest.fixture
def client(hub: Harness) -> Iterator[TestClient]:
    with in_process(create_web_app(hub.app)) as client:
        yield client


@pytest.mark.parametrize(
    "path",
    [
        "/hub/nonexistent",
        "/hub/lessons",
        "/reports/board/9999-Q4",  # past the calendar: was a 500
        "/reports/board/9999-Q4.csv",
        "/reports/board/0000-Q1",
        "/reports/board/1900-Q1",
        "/bulletins/999999",
    ],
)
def test_an_address_that_is_no_page_gets_the_nhs_page_not_found(
    client: TestClient, path: str
) -> None:
    answer = request(client, "GET", path)
    assert answer.status_code == 404, path
    assert answer.headers["content-type"].startswith("text/html")
    assert "Page not found" in words(answer) and 'href="/hub"' in answer.text
    assert answer.headers["content-security-policy"].startswith("default-src 'none'")


def test_a_buttons_address_opened_on_its_own_says_so(client: TestClient) -> None:
    for path in ("/hub/press", "/hub/signout", "/hub/forms/idea.submit"):
        answer = request(client, "GET", path)
        assert answer.status_code == 405 and answer.headers["allow"] == "POST"
        assert "This address is for a button" in words(answer)


def test_other_callers_keep_their_plain_answers(client: TestClient) -> None:
    answer = request(client, "GET", "/slack/nothing")
    assert answer.status_code == 404 and answer.json() == {"detail": "Not Found"}


def test_no_address_is_built_from_the_host_header(client: TestClient) -> None:
    answer = request(client, "GET", "/hub/", headers={"host": "evil.example"})
    assert answer.status_code == 404 and "location" not in answer.headers


def test_a_page_number_too_large_for_the_database_is_404(hub: Harness, client: TestClient) -> None:
    cookies = signed_in(hub, client, ALEX)
    answer = request(client, "GET", "/hub/ideas?page=9223372036854775807", cookies)
    assert answer.status_code == 404


def test_a_lesson_reference_reads_in_any_case_as_in_chat(hub: Harness, client: TestClient) -> None:
    ref = decided_lesson(hub, ["1"])
    cookies = signed_in(hub, client, ALEX)
    answer = request(client, "GET", f"/hub/lessons/{ref.lower()}", cookies)
    assert answer.status_code == 200 and ref in words(answer)


def test_an_idea_nobody_supports_yet_shows_0_supporters(hub: Harness, client: TestClient) -> None:
    ref = screened(hub, ref_in(hub.submit_idea(TOM), "IDEA"))  # on every board once screened
    board = request(client, "GET", "/hub/ideas", signed_in(hub, client, ALEX))
    row = board.text.split(ref, 1)[1].split("</tr>", 1)[0]
    assert re.search(r">\s*0\s*</td>", row), row


def test_the_navigation_marks_the_section_a_page_belongs_to(
    hub: Harness, client: TestClient
) -> None:
    ref = ref_in(submit_lesson(hub, who=ALEX), "LL")
    cookies = signed_in(hub, client, ALEX)
    current = {
        path: CURRENT.findall(request(client, "GET", path, cookies).text)
        for path in ("/hub", f"/hub/lessons/{ref}", "/hub/ideas/mine", "/hub/account")
    }
    assert current == {
        "/hub": ["/hub"],
        f"/hub/lessons/{ref}": ["/hub/library"],  # a lesson is the library's
        "/hub/ideas/mine": ["/hub/ideas"],
        "/hub/account": [],  # no section: not Home
    }


def test_a_filter_given_twice_in_the_address_is_400_as_in_chat(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, ALEX)
    answer = request(client, "GET", "/hub/library?committee=PSC&committee=PEC", cookies)
    assert answer.status_code == 400 and "Give committee: once only." in words(answer)


def test_a_post_too_large_is_413_with_what_to_do_and_does_nothing(
    hub: Harness, client: TestClient
) -> None:
    cookies = signed_in(hub, client, ALEX)
    token = csrf_of(client, cookies)
    for path, size in (("/hub/press", 3000), ("/hub/forms/idea.submit", 300_000)):
        body = f"csrf={token}&s=x&title=" + "x" * size
        answer = request(
            client,
            "POST",
            path,
            cookies,
            content=body,
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 413, (path, answer.status_code)
        assert "nothing was saved" in words(answer)
    assert request(client, "GET", "/hub/ideas/mine", cookies).status_code == 200
