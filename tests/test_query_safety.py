"""Every SQL and Cypher query is parameterized: none is built by formatting values into its text.

The scan reads the source of every module under graph/, agent/ and memory/ and fails on a string
that looks like SQL or Cypher and is built with an f-string, ``%``, ``.format`` or ``+`` with
anything but other constant strings.
"""

from __future__ import annotations

import ast
import re
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("graph", "agent", "memory")

# Shapes of a query, not single words, so that prose ("select a model from the list") is not one.
_QUERY_SHAPES = re.compile(
    r"\bSELECT\b[\s\S]*\bFROM\b|\bUPDATE\s+\S+\s+SET\b|\b(?:CREATE|DROP|ALTER)\s+(?:VIRTUAL\s+)?"
    r"(?:TABLE|INDEX|TRIGGER|VIEW)\b|\bREPLACE\s+INTO\b|\bWHERE\s+[\w.]+\s*(?:=|<|>|IN\b|LIKE\b|IS\b)"
    r"|\bOPTIONAL\s+MATCH\b|\bUNWIND\b|\bRETURN\s+[\w.(*]|\bCREATE\s+CONSTRAINT\b",
)
# Shapes strong enough to count in lower case too.
_QUERY_SHAPES_ANY_CASE = re.compile(
    r"\bselect\b[\s\S]*\bfrom\b[\s\S]*\bwhere\b|\binsert\s+(?:or\s+\w+\s+)?into\b|\bdelete\s+from\b"
    r"|\b(?:match|merge|create)\s*\(|\bdetach\s+delete\b|\bcall\s+(?:db|apoc|gds|dbms)\."
    r"|-\[\s*\w*\s*:\s*\w+",
    re.IGNORECASE,
)


def looks_like_query(text: str) -> bool:
    return bool(_QUERY_SHAPES.search(text) or _QUERY_SHAPES_ANY_CASE.search(text))


def _module_constants(tree: ast.Module) -> set[str]:
    """Module-level names bound to strings made only of literals (and other such names)."""
    known: set[str] = set()
    changed = True
    while changed:
        changed = False
        for node in tree.body:
            value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
            targets = node.targets if isinstance(node, ast.Assign) else [getattr(node, "target", None)]
            for target in targets:
                if (isinstance(target, ast.Name) and target.id not in known and value is not None
                        and _constant_text(value, known) is not None):
                    known.add(target.id)
                    changed = True
    return known


def _constant_text(node: ast.AST, constants: set[str]) -> str | None:
    """The literal text of a constant string expression, or None if any part is not constant."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Name) and node.id in constants:
        return ""  # a constant defined elsewhere in the module; its own text is checked there
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _constant_text(node.left, constants), _constant_text(node.right, constants)
        return None if left is None or right is None else left + right
    return None


def _operands(node: ast.AST) -> list[ast.AST]:
    """The parts of an ``a + b + c`` chain."""
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _operands(node.left) + _operands(node.right)
    return [node]


def _literal_parts(nodes: list[ast.AST]) -> str:
    """The literal text of string constants and f-string pieces among ``nodes`` (not inside calls)."""
    texts = []
    for node in nodes:
        pieces = node.values if isinstance(node, ast.JoinedStr) else [node]
        texts += [p.value for p in pieces if isinstance(p, ast.Constant) and isinstance(p.value, str)]
    return " ".join(texts)


def _concatenates_values(parts: list[ast.AST], constants: set[str]) -> bool:
    return (any(_constant_text(p, constants) is None for p in parts)
            and looks_like_query(_literal_parts(parts)))


def formatted_queries(source: str) -> list[tuple[int, str]]:
    """(line, how) for each SQL/Cypher string built by formatting values into it."""
    tree = ast.parse(source)
    constants = _module_constants(tree)
    found: dict[int, str] = {}
    for node in ast.walk(tree):
        how = None
        if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
            how = "f-string" if looks_like_query(_literal_parts([node])) else None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod):
            text = _constant_text(node.left, constants)
            how = "% formatting" if text and looks_like_query(text) else None
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr in ("format", "format_map")):
            text = _constant_text(node.func.value, constants)
            how = ".format()" if text and looks_like_query(text) else None
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
            how = "+ with a non-constant" if _concatenates_values(_operands(node), constants) else None
        elif isinstance(node, ast.AugAssign) and isinstance(node.op, ast.Add):
            how = "+= of a non-constant" if _concatenates_values(_operands(node.value), constants) else None
        if how:
            found.setdefault(node.lineno, how)
    return sorted(found.items())


def _modules() -> list[Path]:
    return sorted(p for folder in SCANNED if (ROOT / folder).is_dir() for p in (ROOT / folder).rglob("*.py"))


def test_the_scan_covers_the_query_modules():
    names = {p.name for p in _modules()}
    assert {"sqlite_store.py", "sqlite_graph_ops.py", "neo4j_queries.py", "neo4j_store.py",
            "neo4j_chunks.py", "neo4j_dump.py", "sqlite_dump.py", "ask_graph.py", "doctor_graph.py"} <= names


def test_no_query_is_built_by_string_formatting():
    problems = [f"{path.relative_to(ROOT)}:{line}: {how}"
                for path in _modules()
                for line, how in formatted_queries(path.read_text(encoding="utf-8"))]
    assert problems == [], "Pass values as query parameters instead:\n" + "\n".join(problems)


BAD = {
    "f-string": 'def f(conn, name):\n    conn.execute(f"SELECT * FROM entities WHERE name = \'{name}\'")',
    "f-string cypher": 'def f(tx, label):\n    tx.run(f"MATCH (n:{label}) RETURN n")',
    "percent": 'def f(conn, uid):\n    conn.execute("DELETE FROM chunks WHERE user_id = \'%s\'" % uid)',
    "format": 'def f(tx, uid):\n    tx.run("MATCH (e:Entity {{user_id: \'{}\'}}) RETURN e".format(uid))',
    "concatenation": 'def f(conn, t):\n    conn.execute("SELECT id FROM entities WHERE type = " + t)',
    "augmented": ('def f(conn, t):\n    sql = "SELECT id FROM entities"\n'
                  '    sql += " WHERE type = " + repr(t)\n    conn.execute(sql)'),
    "lowercase": 'def f(conn, t):\n    conn.execute(f"select id from {t} where x = 1")',
    "relationship type": 'def f(tx, kind):\n    tx.run("MATCH (a)-[r:" + kind + "]->(b) RETURN r")',
}


@pytest.mark.parametrize("snippet", BAD.values(), ids=BAD.keys())
def test_the_scan_catches_formatted_queries(snippet):
    assert len(formatted_queries(textwrap.dedent(snippet))) == 1


GOOD = {
    "parameters": 'def f(conn, name):\n    conn.execute("SELECT * FROM entities WHERE name = ?", (name,))',
    "literal concatenation": ('_VALID = "(r.valid_to IS NULL)"\n'
                              'Q = "MATCH (s)-[r:RELATED]->(t) WHERE " + _VALID + " RETURN r"'),
    "error message": ('def f(ids):\n    raise ValueError(f"Relations point at unknown entities {ids}; '
                      'upsert those entities first.")'),
    "prose": 'def f(n):\n    return f"Select a model from the list ({n} found) and return to it."',
    "log": 'def f(n):\n    return "matched %d names" % n',
}


@pytest.mark.parametrize("snippet", GOOD.values(), ids=GOOD.keys())
def test_the_scan_allows_parameterized_and_constant_queries(snippet):
    assert formatted_queries(textwrap.dedent(snippet)) == []
