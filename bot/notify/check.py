"""`qihub notify check`: ask GOV.UK Notify about the configured templates before an alert does.

A wrong template id, a text template where an email one is meant, or a ((placeholder)) QI Hub
does not fill makes Notify refuse every message of that kind, which would only show when a
critical alert goes out. This asks Notify (the official client's `get_template`, a GET that
spends no send budget) for each template in `[notify]` and says, one line each, whether it
exists, is of the right type, fills no field QI Hub leaves empty and carries the person's
acknowledgement link. Nothing printed comes from the API key.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final, TextIO

from notifications_python_client.errors import APIError

from bot.notify.client import NotifyClients
from bot.notify.errors import first_error, safe
from bot.settings import Settings
from handlers.alerts.direct import TEMPLATE_FIELDS
from handlers.config import ConfigError, NotifySettings

EXIT_PROBLEM: Final = 1
PLACEHOLDER = re.compile(r"\(\(([^()]+)\)\)")
KINDS: Final = (
    ("sms", "text", "text message", "sms_template_id"),
    ("email", "email", "email", "email_template_id"),
)
REQUIRED: Final = ("ack_url",)
"""Fields a template must use: without the link, staff cannot acknowledge from the message."""


def field_key(name: str) -> str:
    """Notify matches personalisation keys ignoring case, spaces, hyphens and underscores
    (notifications-utils InsensitiveDict); a conditional ((field??text)) names `field`."""
    return name.split("??", 1)[0].translate({ord(c): None for c in " _-"}).lower()


def fields_of(texts: Iterable[str | None]) -> list[str]:
    """The ((placeholders)) of a template's body and subject, in order, each once."""
    found: dict[str, str] = {}
    for text in texts:
        for name in PLACEHOLDER.findall(text or ""):
            found.setdefault(field_key(name), name.split("??", 1)[0].strip())
    return list(found.values())


def template_problems(kind: str, answer: dict[str, Any]) -> list[str]:
    """What is wrong with Notify's template for use as `kind` ("sms" or "email")."""
    problems = []
    given = answer.get("type")
    if given != kind:
        wanted = "a text message" if kind == "sms" else "an email"
        problems.append(f"it is {_article(given)} template, but it must be {wanted} template")
    fields = fields_of((answer.get("body"), answer.get("subject")))
    filled = {field_key(f) for f in TEMPLATE_FIELDS}
    unknown = [f for f in fields if field_key(f) not in filled]
    if unknown:
        names = ", ".join(f"(({f}))" for f in unknown)
        problems.append(
            f"it uses {names}, which QI Hub does not fill, so Notify would refuse every "
            f"message (QI Hub fills {', '.join(f'(({f}))' for f in TEMPLATE_FIELDS)})"
        )
    used = {field_key(f) for f in fields}
    for required in REQUIRED:
        if field_key(required) not in used:
            problems.append(
                f"it has no (({required})): staff could not acknowledge from the message"
            )
    return problems


def _article(kind: object) -> str:
    names = {"sms": "a text message", "email": "an email", "letter": "a letter"}
    return names.get(str(kind), f"a {safe(str(kind))}")


def check_one(clients: NotifyClients, kind: str, template_id: str) -> tuple[bool, str]:
    """(fine, the sentence to print) for one template. APIError other than "no such
    template" is raised: the check cannot go on (a refused key, Notify unreachable)."""
    try:
        answer = clients.template(template_id)
    except APIError as exc:
        if exc.response is not None and exc.status_code in (400, 404):
            return (
                False,
                "Notify has no template with this id for this service (check the id "
                "and that NOTIFY_API_KEY is this service's key)",
            )
        raise
    problems = template_problems(kind, answer)
    if problems:
        return False, "; ".join(problems)
    name = safe(str(answer.get("name") or "")) or "unnamed"
    fields = ", ".join(f"(({f}))" for f in fields_of((answer.get("body"), answer.get("subject"))))
    return True, f'OK: "{name}", version {answer.get("version", "?")}, uses {fields}'


def check_templates(clients: NotifyClients, templates: NotifySettings, out: TextIO) -> int:
    """Print a line per template and a verdict; 0 when every configured template is right."""
    fine = True
    configured = 0
    for kind, label, _, key in KINDS:
        template_id = getattr(templates, key)
        if template_id is None:
            out.write(f"{label} template: not set ([notify] {key}): no {label}s are sent\n")
            continue
        configured += 1
        try:
            ok, sentence = check_one(clients, kind, template_id)
        except APIError as exc:
            out.write(f"{label} template {template_id}: could not be checked: {_why(exc)}\n")
            return EXIT_PROBLEM
        fine = fine and ok
        out.write(f"{label} template {template_id}: {sentence if ok else 'problem: ' + sentence}\n")
    if configured == 0:
        out.write("No template to check: [notify] names none, so no text or email is sent\n")
        return EXIT_PROBLEM
    if not fine:
        out.write("Fix the templates in Notify or the ids in [notify] (docs/notify.md section 2)\n")
        return EXIT_PROBLEM
    out.write("All set: Notify has every configured template as QI Hub uses it\n")
    return 0


def _why(exc: APIError) -> str:
    if exc.response is None:
        return "GOV.UK Notify could not be reached (check NOTIFY_API_URL and the network)"
    if exc.status_code in (401, 403):
        return (
            f"Notify refused the API key ({exc.status_code}): check NOTIFY_API_KEY and that "
            "this server's clock is right"
        )
    return f"Notify answered {exc.status_code}: {safe(first_error(exc)[1])}"


def run_notify_check(settings: Settings, templates: NotifySettings, out: TextIO) -> int:
    if settings.notify_api_key is None:
        raise ConfigError(
            "NOTIFY_API_KEY", "not set: there is nothing to check with", "environment"
        )
    clients = NotifyClients(
        settings.notify_api_key.get_secret_value(),
        settings.notify_api_url,
        settings.notify_timeout_seconds,
    )
    out.write(f"Checking the [notify] templates with GOV.UK Notify at {settings.notify_api_url}\n")
    return check_templates(clients, templates, out)
