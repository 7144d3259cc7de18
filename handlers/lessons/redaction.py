"""Redaction's reach beyond the lesson row: the outbox messages that quoted its text.

A committee's "new lesson" post, a routing notice or a reminder may have quoted the text a
governance lead then redacts. Each such message is rewritten in the outbox (so one not yet
sent goes out redacted and the stored copy no longer holds the original), and one already
delivered is replaced in place on Slack or Teams through the sender's update path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from handlers.context import Context


def replace_text(value: Any, replacements: Sequence[tuple[str, str]]) -> Any:
    """`value` (a JSON payload) with every occurrence of each original replaced."""
    if isinstance(value, str):
        for old, new in replacements:
            value = value.replace(old, new)
        return value
    if isinstance(value, list):
        return [replace_text(v, replacements) for v in value]
    if isinstance(value, dict):
        return {k: replace_text(v, replacements) for k, v in value.items()}
    return value


def scrub_outbox(ctx: Context, ref: str, replacements: Sequence[tuple[str, str]]) -> int:
    """Rewrite every outbox message about `ref` that quotes an original; queue an in-place
    update for each one already delivered. Returns how many messages were rewritten.

    Every message that quotes a lesson's text names its reference, so the reference finds
    them all."""
    rewritten = 0
    for row in ctx.uow.outbox.mentioning(ref):
        payload = replace_text(row.payload, replacements)
        if payload == row.payload:
            continue
        row.payload = payload
        rewritten += 1
        if row.platform and row.platform_ref and "reply" in payload:
            update = {"platform": row.platform, "handle": dict(row.platform_ref)}
            ctx.uow.outbox.enqueue(
                dedupe_key=f"redacted:{ref}:{row.id}:{ctx.now.isoformat()}",
                payload={"reply": payload["reply"], "update": update},
                now=ctx.now,
                recipient_id=row.recipient_id,
                channel=row.channel,
                urgent=True,
            )
    return rewritten
