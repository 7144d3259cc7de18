"""Everything QI Hub offers, assembled once: the registry and the reminder rules."""

from __future__ import annotations

from handlers import ideas, qi
from handlers.config import OrgConfig
from handlers.registry import Registry
from handlers.reminders import ReminderRule


def build_registry(config: OrgConfig) -> Registry:
    registry = Registry()
    qi.register(registry, config)
    ideas.register(registry, config)
    return registry


def reminder_rules() -> list[ReminderRule]:
    return [*ideas.RULES]
