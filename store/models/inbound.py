"""Inbound requests already handled: replays and platform retries are recognised by key."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from store.base import Base


class InboundRequest(Base):
    """A Slack event id, trigger id or view submission (or a Teams activity id) seen before.

    Written in the same transaction as the change the request caused, so a request that
    failed half way is not marked as done, and a replay of one that succeeded changes nothing.
    """

    __tablename__ = "inbound_request"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
