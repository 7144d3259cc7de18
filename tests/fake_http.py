"""The one base of the fake platform servers (Slack Web API, Bot Connector, Graph, OpenID).

Each fake is a real HTTP server on 127.0.0.1 (a free port, served from a daemon thread), so the
platform SDKs are exercised over the wire and nothing of ours is mocked. A fake says only how
it answers a request (`respond`); starting, body reading, replying and stopping live here.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

Request = BaseHTTPRequestHandler


class FakeHTTPServer:
    """Mixed into each fake (a dataclass with a `url` field) to serve it over HTTP."""

    url: str
    methods: ClassVar[tuple[str, ...]] = ("GET", "POST")
    """The HTTP methods the fake answers; any other gets the server's own 501."""
    url_suffix: ClassVar[str] = ""
    """Appended to http://127.0.0.1:port (the Bot Connector's serviceUrl ends in "/")."""
    backlog: ClassVar[int] = 5
    """The listen backlog: socketserver's 5 unless a fake takes many senders at once."""

    def respond(self, request: Request) -> None:
        """Answer one request (read it with read_text, answer with reply)."""
        raise NotImplementedError

    def start(self) -> ThreadingHTTPServer:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _respond(self) -> None:
                fake.respond(self)

        for method in self.methods:
            setattr(Handler, f"do_{method}", Handler._respond)

        class Server(ThreadingHTTPServer):
            request_queue_size = self.backlog

        server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{server.server_address[1]}{self.url_suffix}"
        threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        ).start()
        self._server = server
        return server

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()


def read_text(request: Request) -> str:
    """The request body as text ("" when there is none)."""
    length = int(request.headers.get("Content-Length") or 0)
    return request.rfile.read(length).decode() if length else ""


def reply(
    request: Request,
    status: int,
    data: bytes,
    headers: Mapping[str, str] | None = None,
    content_type: str = "application/json",
) -> None:
    """Send `data` with its length, a content type and any extra headers."""
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    for key, value in (headers or {}).items():
        request.send_header(key, value)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


def json_bytes(body: Any) -> bytes:
    return json.dumps(body).encode()
