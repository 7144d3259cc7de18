"""Teams test fixtures: the fake Bot Connector (more are added alongside)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.teams.fake_connector import FakeConnector


@pytest.fixture
def fake_connector() -> Iterator[FakeConnector]:
    """A fake Bot Connector on 127.0.0.1; its `url` is the serviceUrl to hand the bot."""
    fake = FakeConnector()
    fake.start()
    yield fake
    fake.stop()


from tests.teams.inbound import fake_openid, teams  # noqa: E402, F401 (fixtures for the inbound tests)
