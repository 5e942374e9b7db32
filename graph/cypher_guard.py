"""Checks a model-written Cypher query before it runs: read-only, one statement, one user's data.

An allow-list, not a block-list where it matters: the query is tokenized (strings, quoted names,
comments and parameters kept apart from keywords), and it is refused when it

- holds a comment (comments can hide keywords from a reader), or more than one statement;
- uses a clause that writes or administers (CREATE, MERGE, SET, DELETE, REMOVE, DROP, LOAD CSV,
  FOREACH, CALL ... IN TRANSACTIONS, USE, SHOW, EXPLAIN, ...), in any letter case;
- calls a function that is not a known built-in read function, or a procedure outside
  ``PROCEDURES`` (so no ``apoc.*``, ``db.*``, ``dbms.*`` or user code), or the ``exists(...)``
  function, which Neo4j 5 no longer runs (``EXISTS { ... }`` subqueries are fine);
- uses a parameter other than ``$user_id``;
- has a node pattern without ``{user_id: $user_id}`` in it: every node is matched within the
  asking user's data (relationships only join one user's nodes).

The server adds its own guards: the query runs in a read transaction with a timeout, and only
after ``EXPLAIN`` says it is read-only (see ``graph.ask_graph``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from graph.errors import InputError

MAX_CHARS = 4000
USER_PARAMETER = "user_id"


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


WRITE_OR_ADMIN = _words("""
    create merge set delete detach nodetach remove drop load csv foreach insert alter grant deny
    revoke rename start stop enable disable terminate show use explain profile cypher periodic
    commit transactions import export dbms suspend deallocate reallocate
""")
FIRST_CLAUSES = frozenset({"match", "optional", "with", "unwind", "return", "call"})
# Words that may stand right before "(" without being a function call.
KEYWORDS = _words("""
    match optional where and or xor not return with unwind in case when then else end as distinct
    by order limit skip union all any none single shortest exists count collect is contains starts
    ends null true false asc desc ascending descending yield call repeatable different walk trail
    acyclic path paths group groups of element elements relationship relationships
""")
FUNCTIONS = _words("""
    count collect sum avg min max stdev stdevp percentilecont percentiledisc
    coalesce elementid startnode endnode head last id length properties size type labels keys
    nodes relationships range reverse tail isempty any all none single reduce
    shortestpath allshortestpaths tointeger tofloat tostring toboolean tointegerornull
    tofloatornull tostringornull tobooleanornull tolower toupper lower upper trim ltrim rtrim
    btrim replace split substring left right normalize char_length character_length
    abs ceil floor round sign sqrt exp log log10 e pi rand
    date datetime localdatetime time localtime duration timestamp valuetype nullif
""")
PROCEDURES = frozenset({"db.labels", "db.relationshiptypes", "db.propertykeys"})

_TOKEN = re.compile(r"""
    (?P<space>\s+)
  | (?P<comment>//[^\n]*|/\*[\s\S]*?(?:\*/|$))
  | (?P<string>'(?:[^'\\]|\\[\s\S])*'|"(?:[^"\\]|\\[\s\S])*")
  | (?P<name>`(?:[^`]|``)*`)
  | (?P<param>\$(?:[^\W\d]\w*|`(?:[^`]|``)*`|\d+))
  | (?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)
  | (?P<ident>[^\W\d]\w*)
  | (?P<punct>\S)
""", re.VERBOSE)


class UnsafeQueryError(InputError):
    """A model-written query that may not run: it could write, escape the user's data, or is not
    one plain read query."""


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # ident, name (back-quoted), param, string, number, punct, comment
    text: str

    @property
    def word(self) -> str:
        """An unquoted identifier in lower case ('' for anything else)."""
        return self.text.lower() if self.kind == "ident" else ""

    @property
    def name(self) -> str:
        """The name an identifier or a back-quoted name stands for."""
        return self.text[1:-1].replace("``", "`") if self.kind == "name" else self.text


def tokenize(text: str) -> list[Token]:
    tokens = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "punct"
        value = match.group()
        if kind == "space":
            continue
        if kind == "punct" and value in "'\"`":
            raise UnsafeQueryError(f"The query has an unterminated {value} quote.")
        if kind == "comment" and value.startswith("/*") and not value.endswith("*/"):
            raise UnsafeQueryError("The query has an unterminated /* comment.")
        tokens.append(Token(kind, value))
    return tokens


def validate_read_query(text: str) -> str:
    """The query, stripped of one trailing ";", if it passes every check; else UnsafeQueryError
    saying which rule it broke."""
    if not isinstance(text, str) or not text.strip():
        raise UnsafeQueryError("The model wrote no query.")
    if len(text) > MAX_CHARS:
        raise UnsafeQueryError(f"The query is longer than {MAX_CHARS} characters.")
    query = text.strip()
    tokens = tokenize(query)
    if tokens and tokens[-1].text == ";":
        tokens.pop()
        query = query[:query.rstrip().rfind(";")].rstrip()
    if not tokens:
        raise UnsafeQueryError("The model wrote no query.")
    for check in (_no_comments_or_statements, _starts_with_a_read_clause, _no_writes,
                  _only_the_user_parameter, _calls_allowed, _nodes_scoped_to_the_user):
        check(tokens)
    return query


def _no_comments_or_statements(tokens: list[Token]) -> None:
    if any(t.kind == "comment" for t in tokens):
        raise UnsafeQueryError("The query holds a comment; comments are not allowed.")
    if any(t.kind == "punct" and t.text == ";" for t in tokens):
        raise UnsafeQueryError("The query holds more than one statement.")


def _starts_with_a_read_clause(tokens: list[Token]) -> None:
    if tokens[0].word not in FIRST_CLAUSES:
        raise UnsafeQueryError(f"The query must start with a reading clause such as MATCH, not "
                               f"{tokens[0].text!r}.")


def _no_writes(tokens: list[Token]) -> None:
    for token in tokens:
        if token.word in WRITE_OR_ADMIN:
            raise UnsafeQueryError(f"The query uses {token.text.upper()}; only reading is allowed.")


def _only_the_user_parameter(tokens: list[Token]) -> None:
    for token in tokens:
        if token.kind == "param" and token.text[1:].strip("`") != USER_PARAMETER:
            raise UnsafeQueryError(f"The query uses the parameter {token.text}; only ${USER_PARAMETER} "
                                   "is given.")


def _dotted_name(tokens: list[Token], start: int) -> tuple[str, int]:
    """The (lower-case) dotted name beginning at ``start`` (``db.labels``, a back-quoted
    ``apoc.create.node``), and the index after it."""
    parts, i = [tokens[start].name], start + 1
    while i + 1 < len(tokens) and tokens[i].text == "." and tokens[i + 1].kind in ("ident", "name"):
        parts.append(tokens[i + 1].name)
        i += 2
    return ".".join(parts).lower(), i


def _calls_allowed(tokens: list[Token]) -> None:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        if token.word == "call":
            if i + 1 >= len(tokens) or tokens[i + 1].kind not in ("ident", "name"):
                raise UnsafeQueryError("CALL { ... } subqueries are not allowed.")
            name, after = _dotted_name(tokens, i + 1)
            if name not in PROCEDURES or after >= len(tokens) or tokens[after].text != "(":
                raise UnsafeQueryError(f"The procedure {name!r} is not allowed; only "
                                       f"{', '.join(sorted(PROCEDURES))}.")
            i = after + 1
            continue
        if token.word == "exists" and i + 1 < len(tokens) and tokens[i + 1].text == "(":
            raise UnsafeQueryError(
                "exists(...) is not Neo4j 5 Cypher: test a property with `x.prop IS NOT NULL`, "
                "a pattern with EXISTS { MATCH ... } where every node holds {user_id: $user_id}.")
        if token.kind in ("ident", "name") and not _after_dot(tokens, i):
            name, after = _dotted_name(tokens, i)
            if after < len(tokens) and tokens[after].text == "(" and not _callable(token, name):
                raise UnsafeQueryError(f"The function {name!r} is not allowed.")
            if after < len(tokens) and tokens[after].text == "(" and "." in name:
                raise UnsafeQueryError(f"The function {name!r} is not allowed.")
        i += 1


def _after_dot(tokens: list[Token], i: int) -> bool:
    return i > 0 and tokens[i - 1].text == "."


def _callable(token: Token, name: str) -> bool:
    return token.kind == "ident" and (name in FUNCTIONS or name in KEYWORDS)


def _groups(tokens: list[Token]) -> list[tuple[int, int]]:
    """(open, close) indexes of every parenthesised group."""
    stack, groups = [], []
    for i, token in enumerate(tokens):
        if token.kind == "punct" and token.text == "(":
            stack.append(i)
        elif token.kind == "punct" and token.text == ")":
            if not stack:
                raise UnsafeQueryError("The query has an unmatched ')'.")
            groups.append((stack.pop(), i))
    if stack:
        raise UnsafeQueryError("The query has an unmatched '('.")
    return groups


def _is_call(tokens: list[Token], open_at: int) -> bool:
    """Whether the parentheses opening at ``open_at`` hold a function's arguments."""
    if open_at == 0:
        return False
    before = tokens[open_at - 1]
    if before.kind in ("ident", "name") and _after_dot(tokens, open_at - 1):
        return True  # db.labels(): namespaced calls are checked by _calls_allowed
    if before.word == "relationships":  # a function, or DIFFERENT RELATIONSHIPS (a) ...
        return not (open_at > 1 and tokens[open_at - 2].word == "different")
    return before.word in FUNCTIONS and before.word not in ("any", "all")


_NOT_A_LABEL = frozenset({"null", "not", "normalized", "typed", "nfc", "nfd", "nfkc", "nfkd"})


def _is_node_pattern(tokens: list[Token], start: int, end: int) -> bool:
    """Whether tokens[start:end] (inside parentheses that are not a call) may be a node pattern:
    anything but a plain expression counts, so a doubtful case is checked, never let through."""
    if start == end:
        return True  # ()
    first = tokens[start]
    if first.text in (":", "{"):
        return True
    if first.kind not in ("ident", "name"):
        return False  # a number, string, parameter, list, nested parentheses, sign ...
    if start + 1 == end:
        return first.word not in ("true", "false", "null")
    following = tokens[start + 1]
    if following.text in (":", "{") or following.word == "where":
        return True
    if following.word == "is":  # (n IS Person) is a pattern, (n IS NULL) an expression
        label = tokens[start + 2] if start + 2 < end else None
        return label is not None and label.word not in _NOT_A_LABEL and label.text != ":"
    return False


def _pattern_map(tokens: list[Token], start: int, end: int) -> int | None:
    """Where the property map of the node pattern in tokens[start:end] opens, if it has one."""
    for i in range(start, end):
        if tokens[i].word == "where" or tokens[i].text in ("(", "["):
            return None
        if tokens[i].text == "{":
            return i
    return None


def _map_entries(tokens: list[Token], open_at: int) -> list[tuple[str, list[Token]]]:
    """key -> value tokens of the map literal opening at ``open_at`` (top level only)."""
    entries: list[tuple[str, list[Token]]] = []
    depth, i, key, value = 0, open_at + 1, None, []
    while i < len(tokens):
        token = tokens[i]
        if token.text in "{[(" and token.kind == "punct":
            depth += 1
        elif token.text in "}])" and token.kind == "punct":
            if depth == 0:
                break
            depth -= 1
        if depth == 0 and key is None and token.kind in ("ident", "name", "string") \
                and i + 1 < len(tokens) and tokens[i + 1].text == ":":
            key, value, i = token.name.strip("'\""), [], i + 2
            continue
        if depth == 0 and token.text == ",":
            if key is not None:
                entries.append((key, value))
            key, value = None, []
        elif key is not None:
            value.append(token)
        i += 1
    if key is not None:
        entries.append((key, value))
    return entries


def _nodes_scoped_to_the_user(tokens: list[Token]) -> None:
    for open_at, close_at in _groups(tokens):
        if _is_call(tokens, open_at) or not _is_node_pattern(tokens, open_at + 1, close_at):
            continue
        map_at = _pattern_map(tokens, open_at + 1, close_at)
        scoped = []
        if map_at is not None:
            scoped = [value for key, value in _map_entries(tokens, map_at) if key == USER_PARAMETER]
        if len(scoped) != 1 or [(t.kind, t.text) for t in scoped[0]] != [("param", "$" + USER_PARAMETER)]:
            pattern = " ".join(t.text for t in tokens[open_at:close_at + 1])
            raise UnsafeQueryError(f"The node pattern {pattern} must hold {{user_id: $user_id}} "
                                   "(once) so that only this user's data is read.")
