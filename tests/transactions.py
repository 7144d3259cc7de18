"""Counting the transactions a request costs, on the threads that serve it (the web process's
other threads, such as the outbox kicker, begin their own at the same time)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, event


@contextmanager
def transactions_on(engine: Engine, thread_prefix: str) -> Iterator[list[str]]:
    """The names of the threads named `thread_prefix…` that began a transaction on `engine`
    while open, one entry per transaction."""
    begun: list[str] = []

    def began(_connection: Any) -> None:
        name = threading.current_thread().name
        if name.startswith(thread_prefix):
            begun.append(name)

    event.listen(engine, "begin", began)
    try:
        yield begun
    finally:
        event.remove(engine, "begin", began)
