"""Audit trail: append and read. There is deliberately no update or delete here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from store.models import AuditEntry


class AuditRepo:
    def __init__(self, session: Session) -> None:
        self.session = session

    def append(self, entry: AuditEntry) -> None:
        self.session.add(entry)

    def for_entity(self, entity_type: str, entity_ref: str) -> Sequence[AuditEntry]:
        query = (
            select(AuditEntry)
            .where(AuditEntry.entity_type == entity_type, AuditEntry.entity_ref == entity_ref)
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        return self.session.scalars(query).all()

    def recent(self, limit: int = 20) -> Sequence[AuditEntry]:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return self.session.scalars(query).all()
