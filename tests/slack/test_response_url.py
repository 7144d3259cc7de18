"""A response_url is only ever answered on Slack's own hooks host (or SLACK_API_URL's, for a
staging proxy and these tests): whoever can put a URL in front of us must not make us POST
the card, with what it shows, to an address of their choosing."""

from __future__ import annotations

import pytest

from bot.slack.listeners import slack_hook

API = "https://slack.com/api/"


@pytest.mark.parametrize(
    "url",
    [
        "https://hooks.slack.com/actions/T111/1/xyz",
        "https://hooks.slack.com/commands/T111/2/abc",
    ],
)
def test_slack_hooks_are_answered(url: str) -> None:
    assert slack_hook(url, API)


@pytest.mark.parametrize(
    "url",
    [
        "http://hooks.slack.com/actions/T111/1/xyz",  # not https
        "https://hooks.slack.com.evil.example/actions/T111/1/xyz",
        "https://evil.example/?hooks.slack.com",
        "https://user@evil.example/actions",
        "http://169.254.169.254/latest/meta-data/",
        "",
        "javascript:alert(1)",
    ],
)
def test_anything_else_is_refused(url: str) -> None:
    assert not slack_hook(url, API)


def test_the_configured_api_host_stands_in_for_slack_in_tests() -> None:
    assert slack_hook("http://127.0.0.1:8123/response/T111/1/xyz", "http://127.0.0.1:8123/api/")
    assert not slack_hook("http://127.0.0.1:9999/response/x", "http://127.0.0.1:8123/api/")
