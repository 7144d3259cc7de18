"""Helpers for the web sign-in tests: a live `qihub web`, cookies read from Set-Cookie headers
(sent back by hand, since a Secure cookie must be tested on a plain-http test server), and the
sign-in link `/qi web` gives."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx2 as httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from handlers.signin import links
from messages.view import Reply, Text
from tests.harness import Harness


@contextmanager
def serving(web: FastAPI) -> Iterator[httpx.Client]:
    """An HTTP client for `web` served by uvicorn on 127.0.0.1 (no cookie jar: see above)."""
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        yield client
    server.should_exit = True
    thread.join(timeout=10)


def set_cookies(response: httpx.Response) -> dict[str, str]:
    """name -> the whole Set-Cookie line, for each cookie the response sets."""
    lines = response.headers.get_list("set-cookie")
    return {line.split("=", 1)[0]: line for line in lines}


def cookie_value(response: httpx.Response, name: str) -> str:
    line = set_cookies(response)[name]
    return line.split("=", 1)[1].split(";", 1)[0].strip('"')


def request(
    client: httpx.Client,
    method: str,
    path: str,
    cookies: dict[str, str] | None = None,
    **kwargs: Any,
) -> httpx.Response:
    """A request carrying exactly `cookies` (the client keeps none between requests)."""
    headers = dict(kwargs.pop("headers", {}) or {})
    if cookies:
        headers["cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    response = client.request(method, path, headers=headers, **kwargs)
    client.cookies.clear()
    return response


def sign_in_url(hub: Harness, who: str) -> str:
    """The link `/qi web` gives `who`."""
    reply = hub.command(who, "/qi web")
    assert isinstance(reply, Reply), reply
    urls = [b.text for b in reply.blocks if isinstance(b, Text) and links.PATH in b.text]
    assert len(urls) == 1, reply
    return urls[0]


def path_of(url: str) -> str:
    return re.sub(r"^https?://[^/]+", "", url)


def words(response: httpx.Response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.text))


@contextmanager
def in_process(web: FastAPI) -> Iterator[TestClient]:
    """A client for `web` in this process (no server), at the test config's address, that
    follows no redirects and keeps no cookies between `request` calls, like `serving`."""
    with TestClient(web, base_url="http://localhost:3000", follow_redirects=False) as client:
        yield client


DEV_COOKIE = "qihub-dev-session"
"""The session cookie's name on http://localhost (the test config's web_base_url)."""


def signed_in(hub: Harness, client: httpx.Client, who: str) -> dict[str, str]:
    """The cookies of a browser that has just signed in as `who` with a link from chat.
    `client` is a live server (`serving`) or a TestClient on the same web app."""
    used = request(client, "POST", path_of(sign_in_url(hub, who)), data={"confirm": "yes"})
    assert used.status_code == 303, used.text
    return {DEV_COOKIE: cookie_value(used, DEV_COOKIE)}


def csrf_of(client: httpx.Client, cookies: dict[str, str], page: str = "/hub/account") -> str:
    """The session's CSRF token, as a signed-in page carries it in its forms."""
    shown = request(client, "GET", page, cookies)
    assert shown.status_code == 200, shown.text
    found = shown.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    assert len(found) == 64
    return found
