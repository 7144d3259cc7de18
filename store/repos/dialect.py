"""The dialect-specific INSERT that understands ON CONFLICT (SQLite and PostgreSQL both do)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session


def insert_for(session: Session, table: Any) -> Any:
    """Return an INSERT construct for `table` that supports on_conflict_do_nothing()."""
    if session.get_bind().dialect.name == "postgresql":
        return pg_insert(table)
    return sqlite_insert(table)


def not_reminded(rule: str, item_key: Any, occasion: Any) -> Any:
    """NOT EXISTS a ledger row for (rule, item, occasion): the "not yet reminded" test.

    OFFSET 0 keeps the subquery correlated on PostgreSQL, so each candidate probes the ledger's
    unique index; otherwise the planner hashes every ledger row of the rule, a cost that grows
    with the history of reminders rather than with what is due now. SQLite probes either way.
    """
    from sqlalchemy import and_, exists, literal_column, select

    from store.models import ReminderSent

    return ~exists(
        select(literal_column("1"))
        .where(
            and_(
                ReminderSent.rule == rule,
                ReminderSent.item_key == item_key,
                ReminderSent.occasion == occasion,
            )
        )
        .offset(0)
    )


def json_list_has(session: Session, column: Any, value: str) -> Any:
    """`value` is an element of the JSON list in `column`: JSONB containment on PostgreSQL,
    json_each on SQLite (trend committees; trends are few, so scanning them is cheap)."""
    from sqlalchemy import exists, func, literal, select, type_coerce
    from sqlalchemy.dialects.postgresql import JSONB

    if session.get_bind().dialect.name == "postgresql":
        return type_coerce(column, JSONB).contains([value])
    member = func.json_each(column).table_valued("value")
    return exists(select(literal(1)).select_from(member).where(member.c.value == value))
