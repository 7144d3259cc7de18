"""`/qi web`: a one-time link that signs the person in to the Improvement Hub on the web.

Answered privately (ephemeral on Slack; only in the personal chat on Teams, since a Teams channel
has no private replies), because whoever holds the link can use it within its five minutes.
"""

from __future__ import annotations

from handlers.context import Context
from handlers.registry import Invocation
from handlers.signin import links
from messages.view import Reply, Response, SmallPrint, Text


def sign_in_link(ctx: Context, _invocation: Invocation) -> Response:
    url, expires = links.issue(ctx)
    until = ctx.calendar.local(expires)
    return Reply(
        summary="Your sign-in link for QI Hub on the web",
        blocks=(
            Text("Open this link to sign in to QI Hub on the web:"),
            Text(url),
            SmallPrint(
                f"It works once, until {until:%H:%M}, and only for you: do not forward it. "
                "If you did not ask for it, ignore it."
            ),
        ),
        ephemeral=True,
        secret=True,
    )
