"""The Slack listeners, generated from the registry: every command a slash command, every form
a modal, every button a block action. Each listener acks at once, then does the work.

Bolt runs in process_before_response mode (the HTTP answer goes back when a listener
returns, with no 10 ms polling for ack()), so anything slow after the ack (opening a modal,
answering at a response_url, a DM) is handed to a small executor of our own.

Translate, dispatch, translate: nothing here decides anything about ideas or lessons.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

from slack_bolt import Ack, App, BoltResponse, Respond
from slack_sdk import WebClient
from slack_sdk.webhook import WebhookClient

from bot.app import (
    NOT_SAVED,
    NotLinked,
    NotSaved,
    QIHub,
    database_errors_as_not_saved,
    not_saved_reply,
)
from bot.slack.identity import SlackIdentity
from handlers import dispatch
from handlers.context import Context
from handlers.form_sessions import SESSION_KEY
from handlers.home import home
from handlers.registry import as_typed_command
from handlers.seals import opened, sealed
from messages import blockkit
from messages.view import (
    Button,
    Buttons,
    FormErrors,
    OpenForm,
    Reply,
    Response,
    Text,
    about_form,
)

log = logging.getLogger(__name__)
PLATFORM = "slack"
BOT_EVENTS = {"app_home_opened": "on_home_opened", "message.im": "on_message"}
"""Events API subscriptions -> listener; `qihub slack manifest` declares exactly these keys.
(app_rate_limited needs no subscription: Slack sends it to every app with events.)"""


SLACK_HOOKS = "hooks.slack.com"
REPLAYED = (
    "This form was already sent and answered (see your messages from QI Hub); nothing was done "
    "again. You can close it."
)


def slack_hook(url: str, api_url: str) -> bool:
    """True for a response_url Slack could have issued: https on Slack's hooks host (or, for a
    staging proxy or the tests, the host SLACK_API_URL names). Anything else would let whoever
    wrote the URL make us POST to any address."""
    target, api = urlsplit(url), urlsplit(api_url)
    if target.scheme == "https" and target.hostname == SLACK_HOOKS:
        return True
    return (target.scheme, target.netloc) == (api.scheme, api.netloc) and bool(api.netloc)


class SlackListeners:
    def __init__(self, hub: QIHub, client: WebClient, kick: Callable[[], None]) -> None:
        self.hub = hub
        self.client = client
        self.identity = SlackIdentity(hub, client)
        self.kick = kick
        self.after = ThreadPoolExecutor(max_workers=8, thread_name_prefix="slack-after-ack")

    def later(self, work: Callable[..., None], *args: Any) -> None:
        """Run `work` after the ack has gone back to Slack; failures are logged, not lost
        silently (the person sees nothing happen, so the log must say why)."""

        def run() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("Slack work after the ack failed")

        self.after.submit(run)

    def register(self, app: App) -> None:
        for name in self.hub.services.registry.commands:
            app.command(f"/{name}")(self.on_command)
        app.action(re.compile(r"^" + re.escape(blockkit.ACTION_PREFIX)))(self.on_action)
        app.view(re.compile(r".+"))(self.on_view)
        for subscription, listener in BOT_EVENTS.items():  # "message.im" is a "message" event
            app.event(subscription.partition(".")[0])(getattr(self, listener))
        app.use(self.ack_rate_limited)  # not an event_callback: app.event() never matches it

    # ------------------------------------------------------------------ helpers
    def _run(self, user: str, key: str, call: Callable[[Context], Response]) -> Response | None:
        """Raises NotSaved when the database is down (the caller tells the person).

        The person is found by their Slack id in the request's own unit of work; only someone
        not linked yet costs a users.info call and a second transaction (SlackIdentity)."""
        try:
            response = self.hub.interact_once(self.identity.lookup(user), PLATFORM, key, call)
        except NotLinked:
            with database_errors_as_not_saved():
                email = self.identity.email_for(user)
            response = self.hub.interact_once(email, PLATFORM, key, call)
        self.kick()  # deliver what the change queued now, not at the clock's next tick
        return response

    def _open_form(self, request: OpenForm, trigger_id: str, origin: dict[str, Any]) -> None:
        spec = self.hub.services.registry.forms[request.form_id]
        values = {f.name: f.default for f in spec.form.fields if f.default is not None}
        values.update(request.values)
        metadata = self._metadata(request, origin)
        self.client.views_open(
            trigger_id=trigger_id,
            view=blockkit.modal(
                about_form(spec.form, request.about), values, metadata, dict(request.errors)
            ),
        )

    def _metadata(self, request: OpenForm, origin: dict[str, Any]) -> str:
        """The modal's private_metadata: the form session and where the form came from (the
        message to update, or its response_url), sealed so an edited one is worth nothing."""
        fields = {**{str(k): str(v) for k, v in request.context.items()}, **origin}
        signed = sealed(self.hub.seal_key(), f"slack-modal:{request.form_id}", fields)
        return json.dumps(signed, separators=(",", ":"))

    def _read_metadata(self, form_id: str, raw: str) -> dict[str, str]:
        """What `_metadata` wrote, or nothing at all when it was edited or is missing (the
        submit is then refused: no form session)."""
        try:
            meta = json.loads(raw or "{}")
        except json.JSONDecodeError:
            return {}
        if not isinstance(meta, dict):
            return {}
        checked = opened(self.hub.seal_key(), f"slack-modal:{form_id}", meta)
        if checked is None:
            log.warning("a Slack modal came back with edited or unsigned metadata")
            return {}
        return checked

    def _update(self, channel: str, ts: str, reply: Reply) -> None:
        self.client.chat_update(channel=channel, ts=ts, **blockkit.message(reply))

    def _replace_at(self, response_url: str, reply: Reply) -> None:
        if not slack_hook(response_url, self.hub.settings.slack_api_url):
            log.warning("refused to answer at a response_url that is not Slack's")
            return
        WebhookClient(response_url).send(
            replace_original=True, response_type="ephemeral", **blockkit.message(reply)
        )

    def _dm(self, user: str, reply: Reply) -> None:
        self.client.chat_postMessage(channel=user, **blockkit.message(reply))

    # ------------------------------------------------------------------ slash commands
    def on_command(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        self.later(self.command, body, respond)

    def command(self, body: dict[str, Any], respond: Respond) -> None:
        user, trigger = body["user_id"], body.get("trigger_id", "")
        text = f"{body['command']} {body.get('text', '')}".strip()
        try:
            response: Response | None = self._run(
                user, f"slack:command:{trigger}", lambda ctx: dispatch.run_command(ctx, text)
            )
        except NotSaved:
            response = not_saved_reply()
        if isinstance(response, OpenForm):
            self._open_form(response, trigger, {"ch": body.get("channel_id", "")})
        elif isinstance(response, Reply):
            respond(response_type="ephemeral", **blockkit.message(response))

    # ------------------------------------------------------------------ buttons
    def on_action(self, ack: Ack, body: dict[str, Any], respond: Respond) -> None:
        ack()
        self.later(self.action, body, respond)

    def action(self, body: dict[str, Any], respond: Respond) -> None:
        action = body["actions"][0]
        name, value = blockkit.decode_action(action["action_id"], action.get("value", ""))
        user, trigger = body["user"]["id"], body.get("trigger_id", "")
        key = f"slack:action:{trigger}:{action.get('action_ts', '')}"
        try:
            response: Response | None = self._run(
                user, key, lambda ctx: dispatch.press(ctx, name, value)
            )
        except NotSaved:
            response = not_saved_reply()
        container = body.get("container") or {}
        origin: dict[str, Any] = {}
        if container.get("type") == "message" and not container.get("is_ephemeral"):
            origin = {"ch": container.get("channel_id"), "ts": container.get("message_ts")}
        elif container.get("type") == "message" and body.get("response_url"):
            origin = {"ru": body["response_url"]}  # an ephemeral card: only this URL reaches it
        if isinstance(response, OpenForm):
            self._open_form(response, trigger, origin)
        elif isinstance(response, Reply):
            if container.get("type") == "view":  # the App Home: no message to answer
                self._dm(user, response)
                self.publish_home(user)
            else:
                respond(
                    replace_original=response.replace_original,
                    response_type="ephemeral",
                    **blockkit.message(response),
                )

    # ------------------------------------------------------------------ modals
    def on_view(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        form_id = view.get("callback_id", "")
        spec = self.hub.services.registry.forms.get(form_id)
        if spec is None:
            ack()
            return
        meta = self._read_metadata(form_id, str(view.get("private_metadata") or ""))
        context = {SESSION_KEY: meta.get(SESSION_KEY, "")}
        state = (view.get("state") or {}).get("values") or {}
        raw = blockkit.read_state(spec.form, state)
        fingerprint = hashlib.sha256(
            json.dumps([view.get("id"), state], sort_keys=True).encode()
        ).hexdigest()
        user = body["user"]["id"]
        try:
            response = self._run(
                user,
                f"slack:view:{fingerprint}",
                lambda ctx: dispatch.submit_form(ctx, form_id, raw, context),
            )
        except NotSaved:  # the modal stays open with everything typed; Submit again to retry
            response = FormErrors({spec.form.fields[0].name: NOT_SAVED})
        match response:
            case FormErrors(errors=errors):
                ack(**blockkit.submission_errors(spec.form, view, raw, errors))
            case OpenForm():
                next_spec = self.hub.services.registry.forms[response.form_id]
                ack(
                    response_action="update",
                    view=blockkit.modal(
                        next_spec.form, response.values, self._metadata(response, {})
                    ),
                )
            case Reply():
                ack()
                if response.replace_original and meta.get("ch") and meta.get("ts"):
                    self.later(self._update, meta["ch"], meta["ts"], response)
                elif response.replace_original and meta.get("ru"):
                    self.later(self._replace_at, meta["ru"], response)
                else:
                    self.later(self._dm, user, response)
            case _:
                # A replay of a view already answered (sent, or refused and told in a DM): say
                # so under the first field rather than closing the modal without a word.
                ack(**blockkit.field_errors({spec.form.fields[0].name: REPLAYED}))

    # ------------------------------------------------------------------ events
    def publish_home(self, user: str) -> None:
        email = self.identity.email_for(user)
        reply = self.hub.interact(email, PLATFORM, home)
        assert isinstance(reply, Reply)
        blocks = blockkit.render_blocks(reply.blocks, blockkit.MAX_MODAL_BLOCKS)
        self.client.views_publish(user_id=user, view={"type": "home", "blocks": blocks})

    def on_home_opened(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") == "home":
            self.later(self.publish_home, event["user"])

    def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        self.later(self.message, body, event)

    def message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """Typed text in the app's DM ("idea", "qi mine"): the same commands, answered there."""
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        text = str(event.get("text") or "").strip()
        text = as_typed_command(text, self.hub.services.registry)
        user = event["user"]
        try:
            response: Response | None = self._run(
                user,
                f"slack:event:{body.get('event_id', '')}",
                lambda ctx: dispatch.run_command(ctx, text),
            )
        except NotSaved:
            response = not_saved_reply()
        if isinstance(response, OpenForm):
            start = self.hub.seal(
                Reply(
                    summary="Open the form",
                    blocks=(
                        Text("Forms open from a button or a slash command: press it to start."),
                        Buttons(
                            (Button("Open the form", "qi.command", {"text": text}, "primary"),)
                        ),
                    ),
                )
            )
            self.client.chat_postMessage(channel=event["channel"], **blockkit.message(start))
        elif isinstance(response, Reply):
            self.client.chat_postMessage(channel=event["channel"], **blockkit.message(response))

    def ack_rate_limited(
        self,
        body: dict[str, Any],
        next: Callable[[], BoltResponse],  # bolt passes middleware arguments by name
    ) -> BoltResponse:
        if body.get("type") != "app_rate_limited":
            return next()
        log.warning("Slack is dropping events: more than 30,000 this hour (app_rate_limited)")
        return BoltResponse(status=200, body="")
