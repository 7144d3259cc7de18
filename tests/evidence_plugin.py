"""A pytest plugin for tests/test_hazard_log.py's subprocess: once collection ends, write each
collected test's markers and whether it could skip to $QIHUB_EVIDENCE_OUT (JSON), so the hazard
log can tell a cited test that runs in CI from one that only exists."""

from __future__ import annotations

import inspect
import json
import os
from pathlib import Path

import pytest


def _skips(item: pytest.Item) -> list[str]:
    """Why `item` may be skipped: skip marks, skipif marks whose condition is true (or a string,
    which we cannot judge here), and a pytest.skip call in the test's own source."""
    reasons = [str(m.kwargs.get("reason", "skip")) for m in item.iter_markers("skip")]
    for mark in item.iter_markers("skipif"):
        conditions = mark.args or (mark.kwargs.get("condition", True),)
        if any(not isinstance(c, bool) or c for c in conditions):
            reasons.append(str(mark.kwargs.get("reason", "skipif")))
    reasons += [str(m.kwargs.get("reason", "xfail")) for m in item.iter_markers("xfail")]
    function = getattr(item, "function", None)
    if function is not None and "pytest.skip(" in inspect.getsource(function):
        reasons.append("calls pytest.skip at run time")
    return reasons


def pytest_collection_finish(session: pytest.Session) -> None:
    target = os.environ.get("QIHUB_EVIDENCE_OUT")
    if not target:
        return
    found = {
        item.nodeid: {
            "markers": sorted({m.name for m in item.iter_markers()}),
            "skips": _skips(item),
        }
        for item in session.items
    }
    Path(target).write_text(json.dumps(found), encoding="utf-8")
