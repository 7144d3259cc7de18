"""The layering, checked on the source: adapters (bot/) -> core (handlers/) -> store/ and
messages/.

Why a test: the first version's Teams adapter grew directory policy, raw queries and
hand-built audit rows because nothing stopped it. These rules read every module's syntax tree
(no imports run, nothing installed), so a platform import in the core, a session or SQL
string outside store/, or an import pointing back up fails here before it spreads.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP_PACKAGES = ("bot", "handlers", "messages", "store")

PLATFORM_LIBRARIES = frozenset(
    {
        "slack_bolt",
        "slack_sdk",
        "microsoft_teams",
        "microsoft.teams",
        "msal",
        "jwt",
        "httpx",
        "fastapi",
        "starlette",
        "uvicorn",
        "apscheduler",
        "notifications_python_client",
        "requests",
    }
)
"""Chat platforms, GOV.UK Notify, web serving, tokens and the scheduler: the edges' business,
all in bot/."""

FORBIDDEN_LAYERS = {
    "handlers": frozenset({"bot"}),
    "messages": frozenset({"handlers", "bot", "store"}),
    "store": frozenset({"handlers", "bot", "messages"}),
}
"""Imports that would point back up. bot/ may import anything of ours; handlers/ the store
and messages; messages/ and store/ nothing but themselves."""

SQL_LIBRARIES = frozenset({"sqlalchemy", "alembic", "sqlite3", "psycopg", "psycopg2"})
SQL_METHODS = frozenset({"execute", "scalar", "scalars", "exec_driver_sql", "begin_nested"})
"""Calls that run SQL on a session or connection: repositories' business, in store/."""
SQL_TEXT = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+INTO\b|\bUPDATE\b.+\bSET\b|\bDELETE\s+FROM\b"
    r"|\b(CREATE|ALTER|DROP)\s+(TABLE|INDEX)\b|\bPRAGMA\s+\w+|\bBEGIN\s+IMMEDIATE\b",
    re.DOTALL,
)

ALLOWED: dict[tuple[str, str], str] = {}
"""(module path, what it does) -> why it may. Empty: store/ wraps everything the edges need
(store.db.DATABASE_ERRORS, the Engine handle, store.figures for the metrics scrape). An entry
that no longer matches a finding fails the test, so the list cannot go stale."""


@dataclass(frozen=True)
class Finding:
    path: str
    line: int
    what: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.what}"


def _modules(package: str) -> Iterator[tuple[str, ast.Module]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        relative = path.relative_to(ROOT).as_posix()
        yield relative, ast.parse(path.read_text("utf-8"), filename=relative)


def _imports(tree: ast.Module) -> Iterator[tuple[int, str]]:
    """Every imported module's dotted name, including lazy and TYPE_CHECKING imports."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.lineno, node.module


def _under(module: str, names: frozenset[str]) -> bool:
    return any(module == name or module.startswith(name + ".") for name in names)


def platform_imports(package: str) -> list[Finding]:
    return [
        Finding(path, line, f"imports {module}")
        for path, tree in _modules(package)
        for line, module in _imports(tree)
        if _under(module, PLATFORM_LIBRARIES | {"bot"})
    ]


def upward_imports(package: str) -> list[Finding]:
    return [
        Finding(path, line, f"imports {module}")
        for path, tree in _modules(package)
        for line, module in _imports(tree)
        if _under(module, FORBIDDEN_LAYERS[package])
    ]


def database_access(package: str) -> list[Finding]:
    """SQL libraries, `.session`, SQL-running calls and SQL text outside store/."""
    found: list[Finding] = []
    for path, tree in _modules(package):
        prose = {  # docstrings and other bare strings are prose, not queries
            id(node.value)
            for node in ast.walk(tree)
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        }
        found += [
            Finding(path, line, f"imports {module}")
            for line, module in _imports(tree)
            if _under(module, SQL_LIBRARIES)
        ]
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr == "session":
                found.append(Finding(path, node.lineno, "uses .session"))
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS
            ):
                found.append(Finding(path, node.lineno, f"calls .{node.func.attr}()"))
            elif (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in prose
                and SQL_TEXT.search(node.value)
            ):
                found.append(Finding(path, node.lineno, "holds SQL text"))
    return found


def _unexpected(findings: list[Finding]) -> list[str]:
    return [str(f) for f in findings if (f.path, f.what) not in ALLOWED]


@pytest.mark.parametrize("package", ["handlers", "messages", "store"])
def test_core_and_below_import_no_platform(package: str) -> None:
    """The core renders neutral views and the store keeps data: neither may know Slack,
    Teams or the web server, or reach back into the adapters."""
    assert _unexpected(platform_imports(package)) == []


@pytest.mark.parametrize("package", sorted(FORBIDDEN_LAYERS))
def test_imports_point_down(package: str) -> None:
    assert _unexpected(upward_imports(package)) == []


@pytest.mark.parametrize("package", ["bot", "handlers", "messages"])
def test_only_store_touches_the_database(package: str) -> None:
    """Every query is a repository method reached from the unit of work."""
    assert _unexpected(database_access(package)) == []


AUDIT_WRITER = "handlers/audit.py"


@pytest.mark.parametrize("package", ["bot", "handlers", "messages"])
def test_audit_rows_come_from_the_one_audit_function(package: str) -> None:
    """Every entry gets its actor, time and platform the same way: through
    handlers.audit.record, never an AuditEntry built by hand."""
    built = [
        Finding(path, node.lineno, "uses AuditEntry")
        for path, tree in _modules(package)
        if path != AUDIT_WRITER
        for node in ast.walk(tree)
        if (isinstance(node, ast.Name) and node.id == "AuditEntry")
        or (isinstance(node, ast.alias) and node.name == "AuditEntry")
    ]
    assert [str(f) for f in built] == []


def test_allowed_exceptions_are_still_needed() -> None:
    found = {
        (f.path, f.what)
        for package in APP_PACKAGES
        for f in platform_imports(package) + database_access(package)
    }
    assert set(ALLOWED) <= found


def test_the_rules_see_what_they_forbid() -> None:
    """Guards the guard: every app package is read, and each detector fires on a sample."""
    for package in APP_PACKAGES:
        assert any(True for _ in _modules(package)), package
    assert platform_imports("bot"), "bot/ imports the platforms, so the detector must see it"
    assert database_access("store"), "store/ runs SQL, so the detector must see it"
    tree = ast.parse("from sqlalchemy import text\nuow.session.execute(text('SELECT 1 FROM x'))")
    assert {what for _, what in _imports(tree)} == {"sqlalchemy"}
    assert SQL_TEXT.search("SELECT 1 FROM x") and not SQL_TEXT.search("Select a site from")
