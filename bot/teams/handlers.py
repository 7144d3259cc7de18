"""The Teams handlers: every registry command, form and button, translated to and from
activities. Like the Slack listeners, nothing here decides anything about ideas or lessons.

- Typed text ("idea", "qi mine", or the manifest's command menu) runs the command; a form
  comes back as a card whose button opens it as a dialog (task/fetch → task/submit), because
  Teams opens dialogs only from a card action.
- Dialog submissions are validated on the server; errors re-render the dialog with every
  input kept.
- Card buttons are Action.Execute (adaptiveCard/action): the answer replaces the card for the
  person who pressed it; a button that needs a form turns the card into that form in place.
- installationUpdate / conversationUpdate store where the bot may speak later (proactive
  reminders and alerts) and greet the person.

The core is synchronous and talks to the database, so it runs on a small thread pool; the event
loop only waits for it.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, Literal, TypeVar

from microsoft_teams.api.activities import (
    AdaptiveCardInvokeActivity,
    ConversationUpdateActivity,
    InstallUpdateActivity,
    MessageActivity,
    MessageActivityInput,
)
from microsoft_teams.api.activities.invoke.task.task_fetch import TaskFetchInvokeActivity
from microsoft_teams.api.activities.invoke.task.task_submit import TaskSubmitInvokeActivity
from microsoft_teams.apps import ActivityContext, App

from bot.app import (
    NOT_SAVED,
    Lookup,
    NotLinked,
    NotSaved,
    QIHub,
    database_errors_as_not_saved,
    not_saved_reply,
)
from bot.teams.app import teams_authenticated
from bot.teams.identity import TeamsIdentity
from bot.teams.shape import as_dict, as_list
from handlers import dispatch
from handlers.audit import record
from handlers.context import SYSTEM, Actor, Context
from handlers.home import home
from handlers.registry import FormSpec, as_typed_command
from messages import adaptivecards
from messages.view import (
    Block,
    FormErrors,
    Heading,
    Notice,
    OpenForm,
    Reply,
    Response,
    Text,
    about_form,
)

log = logging.getLogger(__name__)
PLATFORM = "teams"
MENTION = re.compile(r"<at>.*?</at>", re.IGNORECASE | re.DOTALL)
DIALOG_ID = "qi_form"
T = TypeVar("T")


def activity_dict(ctx: ActivityContext[Any]) -> dict[str, Any]:
    """The activity as Teams sent it (wire names), for plain dictionary access."""
    data: dict[str, Any] = ctx.activity.model_dump(by_alias=True, mode="json", exclude_none=True)
    return data


def _context_of(data: Mapping[str, Any]) -> dict[str, str]:
    raw = data.get("qi_context")
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _values_of(data: Mapping[str, Any]) -> dict[str, Any]:
    raw = data.get("qi_values")
    return dict(raw) if isinstance(raw, dict) else {}


def _message(reply: Reply) -> MessageActivityInput:
    activity: MessageActivityInput = MessageActivityInput.model_validate(
        adaptivecards.message_activity(reply)
    )
    return activity


ASK_IN_PERSONAL_CHAT = Reply(
    "Ask me in our personal chat",
    (
        Notice(
            "That answer is for you alone, and a channel has no private replies: ask me again "
            "in your personal chat with QI Hub.",
            "info",
        ),
    ),
)


def _personal(activity: Mapping[str, Any]) -> bool:
    """The activity came from the person's own chat with the bot (not a channel or group)."""
    kind = as_dict(activity.get("conversation")).get("conversationType")
    return kind in (None, "personal")


def _toast(text: str) -> dict[str, Any]:
    """An adaptiveCard/action answer that shows a short message and leaves the card alone."""
    return {"statusCode": 200, "type": "application/vnd.microsoft.activity.message", "value": text}


class TeamsHandlers:
    def __init__(self, hub: QIHub, kick: Callable[[], None]) -> None:
        self.hub = hub
        self.kick = kick
        self.identity = TeamsIdentity(hub)
        self.pool = ThreadPoolExecutor(max_workers=16, thread_name_prefix="teams")
        self._background: set[asyncio.Task[None]] = set()
        self._seen_chats: set[str] = set()
        self.playground = not teams_authenticated(hub.settings)
        """No credentials: the Agents Playground, which cannot open dialogs (task/fetch), so
        forms are drawn inside the chat card instead (Action.Execute), which it can."""

    def register(self, app: App) -> None:
        app.on_message(self.on_message)
        app.on_dialog_open(self.on_dialog_open)
        app.on_dialog_submit(self.on_dialog_submit)
        app.on_card_action_execute(self.on_card_action)
        app.on_conversation_update(self.on_conversation_update)
        app.on_installation_update(self.on_installation_update)

    # ------------------------------------------------------------------ plumbing
    async def _sync(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.pool, partial(work, *args))

    async def _run(
        self, who: str | Lookup, key: str, call: Callable[[Context], Response]
    ) -> Response | None:
        response = await self._sync(self.hub.interact_once, who, PLATFORM, key, call)
        self.kick()  # deliver what the change queued now, not at the clock's next tick
        return response

    async def _run_as(
        self,
        ctx: ActivityContext[Any],
        activity: Mapping[str, Any],
        key: str,
        call: Callable[[Context], Response],
    ) -> Response | None:
        """`_run` as the activity's sender, found by Entra ID object id in the request's own
        unit of work; only someone not linked yet is looked up first (TeamsIdentity.email_for,
        which may ask the Bot Connector). Raises NotSaved when the database is down."""
        lookup = self.identity.lookup(activity)
        if lookup is not None:
            try:
                return await self._run(lookup, key, call)
            except NotLinked:
                pass
        return await self._run(await self._email(ctx, activity), key, call)

    def later(self, work: Callable[[], Any]) -> None:
        """Send after the HTTP answer has gone back (a dialog closes at once; the card follows)."""

        async def run() -> None:
            try:
                await work()
            except Exception as exc:  # the change is stored; only this confirmation is lost
                log.warning("Teams reply after the answer failed: %s", type(exc).__name__)

        task = asyncio.get_running_loop().create_task(run())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _email(self, ctx: ActivityContext[Any], activity: Mapping[str, Any]) -> str:
        """Raises NotSaved when the database is down (the caller tells the person)."""
        with database_errors_as_not_saved():
            return await self.identity.email_for(ctx, activity, self._sync)

    def _open_form_card(self, request: OpenForm) -> dict[str, Any]:
        """A message whose button opens `request`'s form as a dialog (task/fetch)."""
        form = about_form(self.hub.services.registry.forms[request.form_id].form, request.about)
        blocks: list[Block] = [Heading(form.title)]
        if form.intro:
            blocks.append(Text(form.intro))
        # Said here as well: the dialog this card opens is drawn afresh, without them.
        blocks += [Notice(problem, "warning") for problem in request.errors.values()]
        card = adaptivecards.message_card(Reply(summary=form.title, blocks=tuple(blocks)))
        card.setdefault("actions", []).append(
            {
                "type": "Action.Submit",
                "title": "Open the form",
                "style": "positive",
                "data": {
                    "msteams": {"type": "task/fetch"},
                    "dialog_id": DIALOG_ID,
                    "qi_form": request.form_id,
                    "qi_values": {k: _jsonable(v) for k, v in request.values.items()},
                    "qi_context": dict(request.context),
                },
            }
        )
        return card

    def _form(self, request: OpenForm, submit: Literal["dialog", "execute"]) -> dict[str, Any]:
        """The form `request` names, filled and with its errors, as a dialog or in-card form."""
        spec = self.hub.services.registry.forms[request.form_id]
        return adaptivecards.form_card(
            about_form(spec.form, request.about),
            self._form_values(request),
            dict(request.errors),
            submit=submit,
            data={"qi_form": request.form_id, "qi_context": dict(request.context)},
        )

    def _dialog(self, request: OpenForm) -> dict[str, Any]:
        spec = self.hub.services.registry.forms[request.form_id]
        return adaptivecards.dialog_continue(spec.form, self._form(request, "dialog"))

    def _in_card(self, request: OpenForm) -> dict[str, Any]:
        return adaptivecards.execute_card_response(self._form(request, "execute"))

    def _form_values(self, request: OpenForm) -> dict[str, Any]:
        spec = self.hub.services.registry.forms[request.form_id]
        values: dict[str, Any] = {
            f.name: f.default for f in spec.form.fields if f.default is not None
        }
        values.update(request.values)
        return values

    # ------------------------------------------------------------------ typed commands
    async def on_message(self, ctx: ActivityContext[MessageActivity]) -> None:
        activity = activity_dict(ctx)
        text = MENTION.sub("", str(activity.get("text") or "")).strip()
        text = as_typed_command(text, self.hub.services.registry)
        try:
            email = await self._email(ctx, activity)
            await self._note_personal_chat(activity, email)
            response = await self._run(
                email,
                f"teams:{activity.get('id', '')}",
                lambda c: dispatch.run_command(c, text),
            )
        except NotSaved:
            response = not_saved_reply()
        if isinstance(response, OpenForm):
            card = (
                self._form(response, "execute")
                if self.playground
                else self._open_form_card(response)
            )
            activity_out = {
                "type": "message",
                "summary": "Open the form",
                "attachments": [adaptivecards.attachment(card)],
            }
            self.later(partial(ctx.send, MessageActivityInput.model_validate(activity_out)))
        elif isinstance(response, Reply):
            if response.secret and not _personal(activity):
                response = ASK_IN_PERSONAL_CHAT  # a channel has no private replies
            self.later(partial(ctx.send, _message(response)))

    # ------------------------------------------------------------------ dialogs
    def _dialog_form(self, activity: Mapping[str, Any]) -> tuple[dict[str, Any], FormSpec | None]:
        """A dialog invoke's data and the registered form it names (None if there is none)."""
        data = as_dict(as_dict(activity.get("value")).get("data"))
        return data, self.hub.services.registry.forms.get(str(data.get("qi_form", "")))

    async def on_dialog_open(self, ctx: ActivityContext[TaskFetchInvokeActivity]) -> Any:
        activity = activity_dict(ctx)
        data, spec = self._dialog_form(activity)
        if spec is None:
            return adaptivecards.dialog_message("That form is no longer available.")
        return self._dialog(OpenForm(spec.form.id, _values_of(data), _context_of(data)))

    async def on_dialog_submit(self, ctx: ActivityContext[TaskSubmitInvokeActivity]) -> Any:
        activity = activity_dict(ctx)
        data, spec = self._dialog_form(activity)
        if spec is None:
            return adaptivecards.dialog_message("That form is no longer available.")
        form_id = spec.form.id
        context = _context_of(data)
        raw = adaptivecards.submitted_values(spec.form, data)
        try:
            response = await self._run_as(
                ctx,
                activity,
                f"teams:{activity.get('id', '')}",
                lambda c: dispatch.submit_form(c, form_id, raw, context),
            )
        except NotSaved:  # the dialog stays open with everything typed; Submit again to retry
            response = FormErrors({spec.form.fields[0].name: NOT_SAVED})
        match response:
            case FormErrors(errors=errors):  # shown again, every answer kept
                return self._dialog(OpenForm(form_id, raw, context, errors))
            case OpenForm():  # the next step of a multi-step form
                return self._dialog(response)
            case Reply():
                reply = response
                origin = activity.get("replyToId")
                if reply.replace_original and origin:
                    conversation = str(as_dict(activity.get("conversation")).get("id", ""))

                    async def update() -> None:
                        await ctx.api.conversations.update_activity(
                            conversation, str(origin), _message(reply)
                        )

                    self.later(update)
                else:
                    self.later(partial(ctx.send, _message(reply)))
                return None  # an empty answer closes the dialog
            case _:
                return None  # a replay: already done

    # ------------------------------------------------------------------ card buttons
    async def on_card_action(self, ctx: ActivityContext[AdaptiveCardInvokeActivity]) -> Any:
        activity = activity_dict(ctx)
        action = as_dict(as_dict(activity.get("value")).get("action"))
        verb = str(action.get("verb", ""))
        data = action.get("data") if isinstance(action.get("data"), dict) else {}
        assert isinstance(data, dict)
        if verb == "qi_cancel":
            return adaptivecards.execute_card_response(
                adaptivecards.message_card(
                    Reply("Cancelled", (Notice("Cancelled: nothing was changed.", "info"),))
                )
            )
        key = f"teams:{activity.get('id', '')}"
        if verb == "qi_submit":
            return await self._inline_submit(ctx, activity, data, key)
        pressed = adaptivecards.button_press(data)
        if pressed is None:
            return _toast("That button no longer does anything. Please start again.")
        name, value = pressed
        try:
            response = await self._run_as(
                ctx, activity, key, lambda c: dispatch.press(c, name, value)
            )
        except NotSaved:
            return _toast(NOT_SAVED)
        return self._card_answer(ctx, activity, response)

    async def _inline_submit(
        self,
        ctx: ActivityContext[AdaptiveCardInvokeActivity],
        activity: Mapping[str, Any],
        data: Mapping[str, Any],
        key: str,
    ) -> Any:
        form_id = str(data.get("qi_form", ""))
        spec = self.hub.services.registry.forms.get(form_id)
        if spec is None:
            return _toast("That form is no longer available. Please start again.")
        context = _context_of(data)
        raw = adaptivecards.submitted_values(spec.form, data)
        try:
            response = await self._run_as(
                ctx, activity, key, lambda c: dispatch.submit_form(c, form_id, raw, context)
            )
        except NotSaved:
            response = FormErrors({spec.form.fields[0].name: NOT_SAVED})
        if isinstance(response, FormErrors):
            return self._in_card(OpenForm(form_id, raw, context, response.errors))
        if isinstance(response, Reply):  # the card was the form: it becomes the answer
            return adaptivecards.execute_card_response(adaptivecards.message_card(response))
        return self._card_answer(ctx, activity, response)

    def _card_answer(
        self,
        ctx: ActivityContext[AdaptiveCardInvokeActivity],
        activity: Mapping[str, Any],
        response: Response | None,
    ) -> Any:
        match response:
            case OpenForm():
                return self._in_card(response)
            case Reply() if response.replace_original:
                return adaptivecards.execute_card_response(adaptivecards.message_card(response))
            case Reply():
                if _personal(activity) and response.blocks:
                    self.later(partial(ctx.send, _message(response)))
                return _toast(response.summary)
            case FormErrors():
                return _toast("Please check the form and try again.")
            case _:
                return _toast("Already done.")

    async def _note_personal_chat(self, activity: Mapping[str, Any], email: str) -> None:
        """A person writing to the bot has a 1:1 with it: keep that chat for reminders, even if
        the installation event went astray (checked once per chat per process)."""
        conversation = as_dict(activity.get("conversation"))
        conversation_id = str(conversation.get("id", ""))
        if conversation.get("conversationType", "personal") != "personal" or not conversation_id:
            return
        if conversation_id in self._seen_chats:
            return
        await self._sync(self._remember, activity, email)
        self._seen_chats.add(conversation_id)

    # ------------------------------------------------------------------ installation
    async def on_installation_update(self, ctx: ActivityContext[InstallUpdateActivity]) -> None:
        activity = activity_dict(ctx)
        action = str(activity.get("action", ""))
        if action.startswith("remove"):
            await self._sync(self._forget, activity)
            return
        await self._installed(ctx, activity)

    async def on_conversation_update(
        self, ctx: ActivityContext[ConversationUpdateActivity]
    ) -> None:
        activity = activity_dict(ctx)
        bot_id = str(as_dict(activity.get("recipient")).get("id", ""))
        added = {str(m.get("id")) for m in as_list(activity.get("membersAdded"))}
        removed = {str(m.get("id")) for m in as_list(activity.get("membersRemoved"))}
        if bot_id and bot_id in removed:
            await self._sync(self._forget, activity)
        elif bot_id and bot_id in added:
            await self._installed(ctx, activity)

    async def _installed(self, ctx: ActivityContext[Any], activity: Mapping[str, Any]) -> None:
        """Remember the conversation, then greet: a personal chat gets the person's home view."""
        conversation = as_dict(activity.get("conversation"))
        kind = str(conversation.get("conversationType") or "personal")
        email: str | None = None
        if kind == "personal":
            email = await self._email(ctx, activity)
        stored = await self._sync(self._remember, activity, email)
        if not stored:
            return  # already known: a repeated installation event greets nobody twice
        if kind == "personal" and email is not None:
            welcome = await self._sync(self.hub.interact, email, PLATFORM, home)
            assert isinstance(welcome, Reply)
            self.later(partial(ctx.send, _message(welcome)))
        else:
            self.later(partial(ctx.send, _message(channel_welcome(self.hub))))

    def _remember(self, activity: Mapping[str, Any], email: str | None) -> bool:
        """Store the conversation reference; False when it was already stored and installed."""
        if not teams_authenticated(self.hub.settings):
            return True  # the Playground: greeted, but an unauthenticated address is never kept
        conversation = as_dict(activity.get("conversation"))
        channel_data = as_dict(activity.get("channelData"))
        conversation_id = str(conversation.get("id", ""))
        if not conversation_id:
            return False
        kind = str(conversation.get("conversationType") or "personal")
        if kind == "channel":
            selected = as_dict(as_dict(channel_data.get("settings")).get("selectedChannel")).get(
                "id"
            )
            conversation_id = str(
                selected or as_dict(channel_data.get("channel")).get("id") or conversation_id
            )
        tenant = conversation.get("tenantId") or as_dict(channel_data.get("tenant")).get("id")
        team = as_dict(channel_data.get("team"))
        with self.hub.uow_factory() as uow:
            before = uow.teams.conversation(conversation_id)
            already = before is not None and before.installed and before.blocked_at is None
            staff = uow.staff.by_email(email) if email else None
            service_url = str(activity.get("serviceUrl", ""))
            if kind == "personal" and staff is None:
                return False  # not one of our people: nothing of theirs is kept
            if (
                already
                and before is not None
                and before.service_url == service_url
                and (staff is None or before.staff_id == staff.id)
            ):
                return False  # nothing new: no write, no audit entry
            actor = (
                SYSTEM
                if staff is None
                else Actor(staff_id=staff.id, email=staff.email, name=staff.display_name)
            )
            ctx = Context(self.hub.services, uow, actor, PLATFORM)
            stored = uow.teams.remember(
                conversation_id=conversation_id,
                kind=kind,
                service_url=service_url,
                tenant_id=str(tenant) if tenant else None,
                staff_id=staff.id if staff is not None else None,
                user_id=str(as_dict(activity.get("from")).get("id", "")) or None
                if kind == "personal"
                else None,
                team_id=str(team.get("id")) if team.get("id") else None,
                name=str(team.get("name") or conversation.get("name") or "") or None,
                now=ctx.now,
            )
            _audit(ctx, stored.id, "teams.installed", {"kind": kind})
            uow.commit()
        return not already

    def _forget(self, activity: Mapping[str, Any]) -> None:
        conversation_id = str(as_dict(activity.get("conversation")).get("id", ""))
        if not conversation_id:
            return
        with self.hub.uow_factory() as uow:
            ctx = Context(self.hub.services, uow, SYSTEM, PLATFORM)
            uow.teams.mark_uninstalled(conversation_id, ctx.now)
            known = uow.teams.conversation(conversation_id)
            if known is not None:
                _audit(ctx, known.id, "teams.uninstalled", None)
            uow.commit()


def channel_welcome(hub: QIHub) -> Reply:
    org = hub.config.organisation.short_name
    text = (
        f"QI Hub is here to help {org} learn and improve. Mention me with a command, for "
        "example “idea” to share a Bright Idea or “lesson” to share a lesson; “qi help” "
        "lists everything. Committee posts and digests for this channel will appear here."
    )
    return Reply(summary="QI Hub has joined this channel", blocks=(Heading("QI Hub"), Text(text)))


def _jsonable(value: Any) -> Any:
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    if isinstance(value, bool | str) or value is None:
        return value
    return str(value)


def _audit(ctx: Context, conversation_id: int, action: str, after: dict[str, Any] | None) -> None:
    """Installs and removals go on the audit trail like any other change."""
    record(
        ctx,
        entity_type="teams_conversation",
        entity_ref=str(conversation_id),
        action=action,
        after=after,
    )
