"""Role-based permissions from the organisation config. Anything not granted is denied."""

from __future__ import annotations

from handlers.config import OrgConfig


class PermissionDenied(Exception):
    """Raised when the actor lacks a permission; adapters show the message, never a traceback."""


def roles_for(config: OrgConfig, permission: str) -> frozenset[str]:
    return frozenset(config.permissions.get(permission, ()))


def allowed(config: OrgConfig, roles: frozenset[str], permission: str) -> bool:
    """True only when the config grants `permission` to one of `roles` (deny by default)."""
    granted = roles_for(config, permission)
    return bool(granted) and not granted.isdisjoint(roles)


def describe(config: OrgConfig, permission: str) -> str:
    granted = sorted(roles_for(config, permission))
    if not granted:
        return "nobody (it is not enabled in this organisation's config)"
    return ", ".join(r.replace("_", " ") for r in granted)


def sits_on(roles: frozenset[str], committee: str) -> bool:
    """A member or chair of `committee` (the roles committee:<CODE> come from the config)."""
    return f"committee:{committee}" in roles


def governs(roles: frozenset[str], committee: str) -> bool:
    """A governance lead for `committee`'s domain."""
    return f"governance:{committee}" in roles
