"""Each read rule has one home, and the API is nobody's library.

The rules of live rows, tenancy and usable keys are written once, in the
models' QuerySets; the hot statements are those querysets compiled
(``outdials/queries.py``). So no SQL written by hand may filter on
``tm_delete``, ``customer_id`` or ``tm_expire`` anywhere else in the product
or in the Django floor of the read-path benchmark. (The bare WSGI floor,
``benchmarks/bare``, measures the read path without any framework, so it
cannot compile a queryset: it is a yardstick beside the product, not part of
it.) The staff pages, the admin, the commands and the domain modules import
nothing from ``outdials.api``.
"""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
READ_MODULE = ROOT / "outdials" / "queries.py"
# A column of a read rule compared in SQL: "tm_delete IS NULL", "o.customer_id
# = %s", "tm_expire > %s" (ORM lookups like tm_delete__isnull do not match).
RULE_IN_SQL = re.compile(
    r"\b(?:\w+\.)?\"?(tm_delete|customer_id|tm_expire)\"?\s*(?:IS\b|=|<|>|!=|IN\b)",
    re.IGNORECASE,
)


def python_files(*folders: str) -> list[Path]:
    return sorted(
        path
        for folder in folders
        for path in (ROOT / folder).rglob("*.py")
        if "migrations" not in path.parts
    )


def string_constants(path: Path):
    """Every string literal of a module (f-strings' literal parts too)."""
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            yield node.lineno, node.value


def test_no_sql_spells_a_read_rule_outside_the_read_module():
    found = [
        f"{path.relative_to(ROOT)}:{line}: {text.strip()[:80]}"
        for path in python_files("outdials", "outdialsite", "benchmarks/floor")
        if path != READ_MODULE
        for line, text in string_constants(path)
        if RULE_IN_SQL.search(text)
    ]
    assert found == []


def test_the_check_catches_a_rule_written_in_sql():
    assert RULE_IN_SQL.search("SELECT 1 FROM t WHERE t.tm_delete IS NULL")
    assert RULE_IN_SQL.search('WHERE o."customer_id" = %s')
    assert RULE_IN_SQL.search("AND tm_expire > %s")
    assert not RULE_IN_SQL.search("tm_delete__isnull")
    assert not RULE_IN_SQL.search("customer_id")


def api_imports(path: Path) -> list[str]:
    """The ``outdials.api`` modules ``path`` imports, however spelled."""
    package = ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found += [
            n for n in names if n == "outdials.api" or n.startswith("outdials.api.")
        ]
    return found


NOT_THE_API = [
    path
    for path in python_files("outdials")
    if "api" not in path.relative_to(ROOT / "outdials").parts
    # Middleware that answers the API's paths in its envelope (security
    # headers, health probes, a database outage, request bodies) reads the
    # API's path rule and envelope.
    and path.name not in ("security.py", "health.py", "outage.py", "bodies.py")
]


@pytest.mark.parametrize(
    "path", NOT_THE_API, ids=[str(p.relative_to(ROOT)) for p in NOT_THE_API]
)
def test_pages_admin_commands_and_domain_do_not_import_the_api(path):
    assert api_imports(path) == []


def test_the_import_check_sees_relative_imports():
    views = ROOT / "outdials" / "views.py"
    assert views in NOT_THE_API
    assert any(p.parts[-2] == "admin" for p in NOT_THE_API)
    assert any("management" in p.parts for p in NOT_THE_API)
    assert api_imports(ROOT / "outdials" / "api" / "views.py")  # it sees its own
