"""Operator errors that end a command with exit status 2 and one plain sentence."""

from __future__ import annotations


class MissingCredential(Exception):
    """A platform is configured but a credential it needs is missing or refused."""
