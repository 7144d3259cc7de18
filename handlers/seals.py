"""Seals: what a button (or a Slack modal's metadata) carries back is signed with a server key.

Whoever holds a message can edit what it sends back: a Slack button's value, a Teams card's
data, a modal's private_metadata. A button's value names the record it acts on, and sometimes
more; signed here when the message leaves the core and checked again at the press, an edited
value is refused before any handler sees it. The permission is still checked on every press;
the seal only proves the server drew this button, for this action, with this value.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import replace
from typing import TYPE_CHECKING

from handlers.button_order import in_order
from messages.view import Block, Button, Buttons, Items, Reply

if TYPE_CHECKING:
    from handlers.context import Services
    from store.uow import UnitOfWork

SEAL = "_sig"
"""The key a sealed value carries its signature under (never a real field name)."""
KEY_ROW = "seal"
"""The server_secret row that holds the key."""


def signature(key: bytes, scope: str, value: Mapping[str, str]) -> str:
    """128 bits of HMAC-SHA256 over `scope` and `value` (its keys in order, the seal left out)."""
    canonical = json.dumps(
        [scope, sorted((str(k), str(v)) for k, v in value.items() if k != SEAL)],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    digest = hmac.new(key, canonical.encode(), hashlib.sha256).digest()[:16]
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def sealed(key: bytes, scope: str, value: Mapping[str, str]) -> dict[str, str]:
    unsealed = {str(k): str(v) for k, v in value.items() if k != SEAL}
    return {**unsealed, SEAL: signature(key, scope, unsealed)}


def opened(key: bytes, scope: str, value: Mapping[str, str]) -> dict[str, str] | None:
    """`value` without its seal, or None when the seal is missing or does not match."""
    offered = value.get(SEAL)
    if not isinstance(offered, str):
        return None
    plain = {str(k): str(v) for k, v in value.items() if k != SEAL}
    if not hmac.compare_digest(offered, signature(key, scope, plain)):
        return None
    return plain


def _seal_button(key: bytes, button: Button) -> Button:
    return replace(button, value=sealed(key, button.action, button.value))


def _seal_block(key: bytes, block: Block) -> Block:
    match block:
        case Buttons(buttons=buttons):
            return replace(block, buttons=tuple(_seal_button(key, b) for b in in_order(buttons)))
        case Items(items=items):
            return replace(
                block,
                items=tuple(
                    replace(i, buttons=tuple(_seal_button(key, b) for b in in_order(i.buttons)))
                    if i.buttons
                    else i
                    for i in items
                ),
            )
    return block


def seal_reply(key: bytes, reply: Reply) -> Reply:
    """`reply` as it leaves the core: every button's value sealed for that button's action,
    and the buttons in the one order (handlers/button_order.py)."""
    return replace(reply, blocks=tuple(_seal_block(key, b) for b in reply.blocks))


def seal_key(services: Services, uow: UnitOfWork) -> bytes:
    """The server's seal key, read (or made, by the first process to ask) once a process."""
    if services.seal_key is None:
        secret = uow.secrets.get_or_make(KEY_ROW, services.clock.now())
        services.seal_key = secret.encode()
    return services.seal_key
