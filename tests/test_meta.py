"""House rules for the test suite itself: no test without an assertion."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent
ASSERTING_CALLS = {"raises", "fail", "xfail"}


def _asserts(node: ast.AST) -> bool:
    for child in ast.walk(node):
        if isinstance(child, ast.Assert):
            return True
        if isinstance(child, ast.Call):
            name = getattr(child.func, "attr", getattr(child.func, "id", ""))
            if name in ASSERTING_CALLS or name.startswith("assert_"):
                return True
    return False


def test_every_test_function_asserts_something() -> None:
    helpers = {
        node.name: node
        for path in TESTS.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.FunctionDef)
    }
    silent = []
    for path in sorted(TESTS.glob("test_*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                called = {
                    getattr(c.func, "id", getattr(c.func, "attr", ""))
                    for c in ast.walk(node)
                    if isinstance(c, ast.Call)
                }
                if not _asserts(node) and not any(
                    name in helpers and _asserts(helpers[name]) for name in called
                ):
                    silent.append(f"{path.name}::{node.name}")
    assert silent == []
