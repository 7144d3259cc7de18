"""Everything QI Hub offers, assembled once: the registry and the reminder rules."""

from __future__ import annotations

from handlers import qi
from handlers.actions import cards as action_cards
from handlers.actions import wiring as actions
from handlers.alerts import cards as alert_cards
from handlers.alerts import wiring as alerts
from handlers.bulletin import wiring as bulletin
from handlers.config import OrgConfig
from handlers.digest.schedule import CommitteeDigestRule
from handlers.ideas import cards as idea_cards
from handlers.ideas import wiring as ideas
from handlers.lessons import cards as lesson_cards
from handlers.lessons import wiring as lessons
from handlers.registry import Registry
from handlers.reminders import ReminderRule


def build_registry(config: OrgConfig) -> Registry:
    registry = Registry()
    qi.register(registry, config)
    ideas.register(registry, config)
    lessons.register(registry, config)
    actions.register(registry, config)
    alerts.register(registry, config)
    bulletin.register(registry, config)
    registry.cards.update(
        idea=idea_cards.render,
        lesson=lesson_cards.render,
        action=action_cards.render,
        alert=alert_cards.render,
    )
    return registry


def reminder_rules() -> list[ReminderRule]:
    return [
        *ideas.RULES,
        *lessons.RULES,
        *actions.RULES,
        *alerts.RULES,
        CommitteeDigestRule(),
        *bulletin.RULES,
    ]
