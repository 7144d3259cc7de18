"""A fake GOV.UK Notify API on 127.0.0.1 that checks what the real one checks.

- Authentication is the real API's (notifications-api `app/authentication/auth.py`): a
  `Bearer` JWT whose issuer must be a UUID naming our service, verified with the official
  client's own `decode_jwt_token` against the service's key secrets (so a wrong secret, a
  revoked key or a token more than 30 s old is refused with Notify's status and message).
- The rate limit is Notify's token bucket, line for line from its Redis script
  (`tally-bucket-rate-limit`): `rate_limit` a minute per service and key type, a bucket of
  min(ceil(rate / 3) + 1, 1000) tokens, refused when under one token is left, a refused
  request spending a token too; checked before anything else, as in `post_notification`.
  GETs are not rate limited. Daily limits per UTC day and type (429 TooManyRequestsError).
- Requests are validated as the v2 schemas and `post_notifications` do: no unknown keys,
  the template exists and is of that type, every ((placeholder)) is given, the number is a UK
  mobile (Ofcom's 07700 900xxx range included), `reference` at most 1,000 characters.
- `GET /v2/notifications/{id}` answers with the status `set_status` gave the message (else
  `default_status`) and counts the asks (`asked`); `GET /v2/template/{id}` answers with the
  template's type, body and (email) subject, as `get_template` reads them.
- It can be told to answer 429 / 5xx, to accept a message and then answer 500 or not answer
  before the client's timeout (the duplicate hazard), and it counts messages per reference.

Served at the root: the official client drops any path from its base URL.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import parse_qs, urlparse

import phonenumbers
from notifications_python_client.authentication import decode_jwt_token, get_token_issuer
from notifications_python_client.errors import TokenError, TokenExpiredError

from tests.fake_http import FakeHTTPServer, Request, json_bytes, read_text, reply

SMS_KEYS = {"phone_number", "template_id", "personalisation", "reference", "sms_sender_id"}
EMAIL_KEYS = {
    "email_address",
    "template_id",
    "personalisation",
    "reference",
    "email_reply_to_id",
    "one_click_unsubscribe_url",
}
PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class NotifyBucket:
    """Notify's token bucket (notifications-utils `tally-bucket-rate-limit`), on a given clock."""

    def __init__(self, rate_limit: int, now: float) -> None:
        self.rate = rate_limit / 60
        self.max = min(math.ceil(rate_limit / 3) + 1, 1000)
        self.tokens = float(self.max)
        self.last = now

    def take(self, now: float) -> bool:
        """Spend a token (refused requests too); True when the request may go on."""
        replenishment = math.floor((now - self.last) * self.rate)
        self.tokens = min(self.tokens + replenishment, self.max)
        self.last += replenishment / self.rate
        self.tokens = max(self.tokens - 1, 0)
        return self.tokens >= 1


@dataclass
class Sent:
    id: str
    kind: str
    to: str
    template_id: str
    personalisation: dict[str, Any]
    reference: str | None
    body: str
    created_at: str


@dataclass
class Scripted:
    status: int | str
    """A status to answer, or "accept_then_500" / "accept_then_timeout"."""
    times: int
    path: str


def _errors(status: int, error: str, message: str) -> dict[str, Any]:
    return {"status_code": status, "errors": [{"error": error, "message": message}]}


@dataclass
class FakeNotify(FakeHTTPServer):
    rate_limit: int = 3000
    daily: dict[str, int] = field(default_factory=lambda: {"sms": 250_000, "email": 250_000})
    key_type: str = "normal"
    url: str = ""
    service_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    secrets: dict[str, str] = field(default_factory=dict)
    """Key name -> secret, as the service's API keys."""
    revoked: set[str] = field(default_factory=set)
    templates: dict[str, tuple[str, str]] = field(default_factory=dict)
    """Template id -> (type, body)."""
    subjects: dict[str, str] = field(default_factory=dict)
    """Email template id -> its subject line (which may hold ((placeholders)) too)."""
    default_status: str = "delivered"
    """The status a GET answers for a message `set_status` has not named."""
    statuses: dict[str, str] = field(default_factory=dict)
    """Notification id -> its status, as a GET answers it."""
    asked: Counter[str] = field(default_factory=Counter)
    """Notification id -> how many times GET /v2/notifications/{id} asked about it."""
    sent: list[Sent] = field(default_factory=list)
    answered: Counter[int] = field(default_factory=Counter)
    scripted: list[Scripted] = field(default_factory=list)
    hang_seconds: float = 2.0
    """How long "accept_then_timeout" keeps the client waiting for its answer."""
    stamps: list[tuple[float, str]] = field(default_factory=list)
    """(time, "sms"/"email") of each accepted message."""
    storm_until: float = 0.0
    """Until then (time.monotonic()) every send is answered 429 RateLimitError."""
    _bucket: NotifyBucket | None = None
    _day_counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    backlog: ClassVar[int] = 256

    # ------------------------------------------------------------------ set-up
    def api_key(self, name: str = "qihub-live") -> str:
        secret = self.secrets.setdefault(name, str(uuid.uuid4()))
        return f"{name}-{self.service_id}-{secret}"

    def add_template(self, kind: str, body: str, subject: str | None = None) -> str:
        template_id = str(uuid.uuid4())
        self.templates[template_id] = (kind, body)
        if kind == "email":
            self.subjects[template_id] = subject if subject is not None else "Critical alert"
        return template_id

    def set_status(self, notification_id: str, status: str) -> None:
        """What Notify says of a message from now on (as its delivery moves on)."""
        with self._lock:
            self.statuses[notification_id] = status

    def fail(self, status: int | str, *, times: int = 1, path: str = "/v2/notifications/") -> None:
        """The next `times` requests whose path starts with `path` get `status` (or
        "accept_then_500" / "accept_then_timeout": the message is created, then the answer
        is a 500 or never comes in time)."""
        with self._lock:
            self.scripted.append(Scripted(status, times, path))

    def start_storm(self, seconds: float) -> None:
        """Answer every send with 429 for `seconds` (reads still answer)."""
        self.storm_until = time.monotonic() + seconds

    def of_reference(self, reference: str) -> list[Sent]:
        with self._lock:
            return [s for s in self.sent if s.reference == reference]

    def duplicates(self) -> int:
        with self._lock:
            counts = Counter(s.reference for s in self.sent if s.reference)
        return sum(n - 1 for n in counts.values() if n > 1)

    # ------------------------------------------------------------------ serving
    def respond(self, request: Request) -> None:
        status, body, hang = self.answer(request.command, request.path, request.headers, request)
        if hang:
            time.sleep(self.hang_seconds)
        try:
            reply(request, status, json_bytes(body))
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up waiting (a timeout we caused on purpose)

    def answer(
        self, method: str, raw_path: str, headers: Any, request: Request
    ) -> tuple[int, Any, bool]:
        text = read_text(request) if method == "POST" else ""
        refused = self._authenticate(headers.get("Authorization"))
        if refused is not None:
            return refused[0], refused[1], False
        parsed = urlparse(raw_path)
        with self._lock:
            scripted = self._scripted(parsed.path)
            if method == "POST" and time.monotonic() < self.storm_until:
                scripted = 429
            if isinstance(scripted, int):
                self.answered[scripted] += 1
                return scripted, self._scripted_body(scripted), False
            if method == "GET":
                status, body = self._get(parsed.path, parse_qs(parsed.query))
                return status, body, False
            kind = parsed.path.removeprefix("/v2/notifications/")
            if kind not in ("sms", "email"):
                return 404, _errors(404, "BadRequestError", "Not found"), False
            status, body = self._post(kind, text)
            self.answered[status] += 1
        if status == 201 and scripted == "accept_then_500":
            return 500, _errors(500, "Exception", "Internal server error"), False
        return status, body, status == 201 and scripted == "accept_then_timeout"

    def _scripted(self, path: str) -> int | str | None:
        for item in self.scripted:
            if item.times > 0 and path.startswith(item.path):
                item.times -= 1
                return item.status
        return None

    @staticmethod
    def _scripted_body(status: int) -> dict[str, Any]:
        if status == 429:
            return _errors(
                429,
                "RateLimitError",
                "Exceeded rate limit for key type LIVE of 3000 requests per 60 seconds",
            )
        return _errors(status, "Exception", "Internal server error")

    # ------------------------------------------------------------------ authentication
    def _authenticate(self, header: str | None) -> tuple[int, dict[str, Any]] | None:
        if not header:
            return 401, _errors(
                401, "AuthError", "Unauthorized: authentication token must be provided"
            )
        if not header.startswith("Bearer "):
            return 401, _errors(
                401, "AuthError", "Unauthorized: authentication bearer scheme must be used"
            )
        token = header.removeprefix("Bearer ")
        try:
            issuer = get_token_issuer(token)
        except TokenError:
            return 403, _errors(403, "AuthError", "Invalid token: signature, api token not found")
        try:
            uuid.UUID(str(issuer))
        except ValueError:
            return 403, _errors(
                403, "AuthError", "Invalid token: service id is not the right data type"
            )
        if issuer != self.service_id:
            return 403, _errors(403, "AuthError", "Invalid token: service not found")
        for name, secret in self.secrets.items():
            try:
                decode_jwt_token(token, secret)
            except TokenExpiredError:
                return 403, _errors(
                    403,
                    "AuthError",
                    "Error: Your system clock must be accurate to within 30 seconds",
                )
            except TokenError:
                continue
            if name in self.revoked:
                return 403, _errors(403, "AuthError", "Invalid token: API key revoked")
            return None
        return 403, _errors(403, "AuthError", "Invalid token: API key not found")

    # ------------------------------------------------------------------ sending
    def _post(self, kind: str, text: str) -> tuple[int, Any]:
        now = time.monotonic()
        if self._bucket is None:
            self._bucket = NotifyBucket(self.rate_limit, now)
        if not self._bucket.take(now):  # before validation, as Notify: a bad request spends too
            return 429, _errors(
                429,
                "RateLimitError",
                f"Exceeded rate limit for key type {self.key_type.upper()} of "
                f"{self.rate_limit} requests per 60 seconds",
            )
        try:
            data = json.loads(text)
        except ValueError:
            return 400, _errors(400, "ValidationError", "Invalid JSON supplied in POST data")
        problem = self._invalid(kind, data)
        if problem is not None:
            return problem
        today = datetime.now(UTC).date().isoformat()
        if self._day_counts[(today, kind)] >= self.daily[kind]:
            return 429, _errors(
                429,
                "TooManyRequestsError",
                f"Exceeded send limits ({kind}: {self.daily[kind]}) for today",
            )
        self._day_counts[(today, kind)] += 1
        return 201, self._accept(kind, data)

    def _invalid(self, kind: str, data: Any) -> tuple[int, Any] | None:
        if not isinstance(data, dict):
            return 400, _errors(400, "ValidationError", "POST data must be a JSON object")
        allowed, to_key = (
            (SMS_KEYS, "phone_number") if kind == "sms" else (EMAIL_KEYS, "email_address")
        )
        extra = sorted(set(data) - allowed)
        if extra:
            return 400, _errors(
                400,
                "ValidationError",
                f"Additional properties are not allowed ({extra[0]} was unexpected)",
            )
        for required in (to_key, "template_id"):
            if required not in data:
                return 400, _errors(400, "ValidationError", f"{required} is a required property")
        if len(str(data.get("reference") or "")) > 1000:
            return 400, _errors(400, "ValidationError", "reference is too long")
        template = self.templates.get(str(data["template_id"]))
        if template is None:
            return 400, _errors(400, "BadRequestError", "Template not found")
        if template[0] != kind:
            return 400, _errors(
                400,
                "BadRequestError",
                f"{template[0]} template is not suitable for {kind} notification",
            )
        given = data.get("personalisation") or {}
        subject = self.subjects.get(str(data["template_id"]), "")
        missing = [p for p in PLACEHOLDER.findall(template[1] + subject) if p not in given]
        if missing:
            return 400, _errors(400, "BadRequestError", f"Missing personalisation: {missing[0]}")
        if kind == "sms" and not uk_mobile(str(data["phone_number"])):
            return 400, _errors(400, "ValidationError", "phone_number Not a UK mobile number")
        if kind == "email" and not EMAIL.match(str(data["email_address"])):
            return 400, _errors(400, "ValidationError", "email_address Not a valid email address")
        return None

    def _accept(self, kind: str, data: dict[str, Any]) -> dict[str, Any]:
        template_id = str(data["template_id"])
        fields = data.get("personalisation") or {}
        body = PLACEHOLDER.sub(
            lambda m: str(fields.get(m.group(1), "")), self.templates[template_id][1]
        )
        notification = Sent(
            id=str(uuid.uuid4()),
            kind=kind,
            to=str(data.get("phone_number") or data.get("email_address")),
            template_id=template_id,
            personalisation=dict(fields),
            reference=data.get("reference"),
            body=body,
            created_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S.%f"),
        )
        self.sent.append(notification)
        self.stamps.append((time.monotonic(), kind))
        content: dict[str, Any] = {"body": body}
        if kind == "sms":
            content["from_number"] = "QIHub"
        else:
            content.update(
                subject="Critical alert", from_email="qihub@notifications.service.gov.uk"
            )
        return {
            "id": notification.id,
            "reference": notification.reference,
            "content": content,
            "uri": f"{self.url}/v2/notifications/{notification.id}",
            "template": {
                "id": template_id,
                "version": 1,
                "uri": f"{self.url}/v2/template/{template_id}",
            },
        }

    # ------------------------------------------------------------------ reading
    def _get(self, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if path == "/v2/notifications":
            found = [
                s
                for s in self.sent
                if ("reference" not in query or s.reference == query["reference"][0])
                and ("template_type" not in query or s.kind == query["template_type"][0])
            ]
            return 200, {
                "notifications": [self._view(s) for s in reversed(found[-250:])],
                "links": {},
            }
        if path.startswith("/v2/notifications/"):
            wanted = path.rsplit("/", 1)[1]
            self.asked[wanted] += 1
            hit = next((s for s in self.sent if s.id == wanted), None)
            if hit is None:
                return 404, _errors(404, "NoResultFound", "No result found")
            return 200, self._view(hit)
        if path.startswith("/v2/template/"):
            wanted = path.rsplit("/", 1)[1]
            if wanted not in self.templates:
                return 404, _errors(404, "NoResultFound", "No result found")
            kind, body = self.templates[wanted]
            return 200, {
                "id": wanted,
                "name": f"QI Hub {kind}",
                "type": kind,
                "body": body,
                "subject": self.subjects.get(wanted) if kind == "email" else None,
                "version": 1,
            }
        return 404, _errors(404, "BadRequestError", "Not found")

    def _view(self, sent: Sent) -> dict[str, Any]:
        to = {"phone_number": sent.to} if sent.kind == "sms" else {"email_address": sent.to}
        return {
            "id": sent.id,
            "reference": sent.reference,
            "type": sent.kind,
            "status": self.statuses.get(sent.id, self.default_status),
            "body": sent.body,
            "created_at": sent.created_at,
            "template": {"id": sent.template_id, "version": 1},
            **to,
        }


def uk_mobile(raw: str) -> bool:
    """Notify's check (notifications-utils PhoneNumber), written here independently of
    QI Hub's own (handlers/mobile.py), so the fake does not agree with us by construction."""
    if set(raw) - set("0123456789 ()-+\t"):
        return False
    try:
        number = phonenumbers.parse(raw, "GB")
    except phonenumbers.NumberParseException:
        return False
    national = str(number.national_number)
    if number.country_code == 44 and national.startswith("7700900") and len(national) == 10:
        return True  # Ofcom's drama range: Notify's test numbers
    return (
        number.country_code == 44
        and phonenumbers.is_valid_number(number)
        and phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.MOBILE
    )
