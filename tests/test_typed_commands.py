"""What people type in a chat with the bot becomes the command to run, the same on every
platform; anything else gets the help."""

from __future__ import annotations

import pytest

from handlers.catalogue import build_registry
from handlers.config import load_config
from handlers.registry import as_typed_command

REGISTRY = build_registry(load_config())


@pytest.mark.parametrize(
    ("typed", "command"),
    [
        ("idea Colour-coded labels", "/idea Colour-coded labels"),
        ("/lesson", "/lesson"),
        ("  QI mine ", "/QI mine"),
        ("hello there", "/qi help"),
        ("", "/qi help"),
        ("/nope", "/qi help"),
        ("idea-ish", "/qi help"),
    ],
)
def test_typed_text_becomes_a_command(typed: str, command: str) -> None:
    assert as_typed_command(typed, REGISTRY) == command
