"""graph.cypher_guard: model-written Cypher is read-only, one statement, and scoped to one user."""

from __future__ import annotations

import pytest

from graph.cypher_guard import UnsafeQueryError, tokenize, validate_read_query
from graph.errors import InputError

E = "(e:Entity {user_id: $user_id})"
F = "(f:Entity {user_id: $user_id})"

SAFE = {
    "one node": f"MATCH {E} RETURN e.name",
    "relation": f"MATCH {E}-[r:RELATED]->{F} WHERE r.type = 'lives_in' RETURN e.name, f.name LIMIT 5",
    "incoming": f"MATCH {E}<-[r:RELATED]-{F} RETURN f.name",
    "optional": f"MATCH {E} OPTIONAL MATCH {E}-[:RELATED]-{F} RETURN e.name, count(f) AS n",
    "aggregates": f"MATCH {E} RETURN e.type, count(e) AS n, collect(DISTINCT e.name)[..3] AS names",
    "count distinct": f"MATCH {E} RETURN count(DISTINCT e)",
    "functions": f"MATCH {E} WHERE toLower(e.name) STARTS WITH 'ada' RETURN toUpper(e.name), size(e.name)",
    "valid time": f"MATCH {E}-[r:RELATED]->{F} WHERE r.valid_to IS NULL OR r.valid_to > datetime() "
                  "RETURN r.type",
    "is null": f"MATCH {E} WHERE (e.type IS NULL) RETURN e.id",
    "is not null": f"MATCH {E} WHERE (e.type IS NOT NULL) RETURN e.id",
    "parenthesised expression": f"MATCH {E} WHERE (e.name = 'x' OR e.name = 'y') RETURN e",
    "arithmetic": f"MATCH {E}-[r:RELATED]->{F} RETURN (r.weight * 2) + 1 AS w ORDER BY w DESC",
    "variable length": f"MATCH p = {E}-[:RELATED*1..3]-{F} RETURN length(p), [n IN nodes(p) | n.name]",
    "shortest path": f"MATCH p = shortestPath({E}-[:RELATED*..4]-{F}) RETURN relationships(p)",
    "with and unwind": f"MATCH {E} WITH e LIMIT 3 UNWIND [1, 2] AS i RETURN e.name, i",
    "exists subquery": f"MATCH {E} WHERE EXISTS {{ MATCH {E}-[:RELATED]->{F} }} RETURN e.name",
    "property test": f"MATCH {E} WHERE e.name IS NOT NULL AND (e.type IN ['person']) RETURN e.name",
    "count subquery": f"MATCH {E} RETURN e.name, COUNT {{ {E}-[:RELATED]-{F} }} AS degree",
    "list predicate": f"MATCH {E} WHERE any(x IN ['a', 'b'] WHERE e.name CONTAINS x) RETURN e",
    "case": f"MATCH {E} RETURN CASE WHEN e.type = 'person' THEN 'p' ELSE 'o' END AS kind",
    "names table": "MATCH (n:EntityName {user_id: $user_id}) WHERE n.norm CONTAINS 'ada' RETURN n.name",
    "labels procedure": "CALL db.labels() YIELD label RETURN label",
    "string with keywords": f"MATCH {E} WHERE e.name = 'DELETE me; CREATE (x) // not a comment' RETURN e",
    "escaped quote in string": f"MATCH {E} WHERE e.name = 'it\\'s' RETURN e",
    "keyword as a quoted label": "MATCH (e:`CREATE` {user_id: $user_id}) RETURN e",
    "trailing semicolon": f"MATCH {E} RETURN e.name;",
    "lower case clauses": f"match {E} return e.name limit 1",
    "label expression": "MATCH (e:Entity|EntityName {user_id: $user_id}) RETURN e",
    "is label": "MATCH (e IS Entity {user_id: $user_id}) RETURN e",
    "return literal": "RETURN 1 AS one",
    "union": f"MATCH {E} RETURN e.name AS n UNION MATCH {F} RETURN f.name AS n",
    "map projection": f"MATCH {E} RETURN e {{.name, .type}} AS entity",
}


@pytest.mark.parametrize("query", SAFE.values(), ids=SAFE.keys())
def test_read_queries_scoped_to_the_user_pass(query):
    assert validate_read_query(query) == query.rstrip(";").rstrip()


UNSAFE = {
    # writes, in any case and shape
    "create": (f"MATCH {E} CREATE (x:Entity {{user_id: $user_id}}) RETURN x", "CREATE"),
    "lower-case create": (f"match {E} create (x:Entity {{user_id: $user_id}})", "CREATE"),
    "merge": (f"MERGE {E} RETURN e", "start with"),
    "merge later": (f"MATCH {E} MERGE {E}-[:RELATED]->{F}", "MERGE"),
    "set": (f"MATCH {E} SET e.name = 'x'", "SET"),
    "set plus": (f"MATCH {E} SET e += {{name: 'x'}}", "SET"),
    "delete": (f"MATCH {E} DELETE e", "DELETE"),
    "detach delete": (f"MATCH {E} DETACH DELETE e", "DETACH"),
    "nodetach": (f"MATCH {E} NODETACH DELETE e", "NODETACH"),
    "remove": (f"MATCH {E} REMOVE e.name", "REMOVE"),
    "remove label": (f"MATCH {E} REMOVE e:Entity", "REMOVE"),
    "drop": ("DROP INDEX congming_entity_user", "start with"),
    "drop later": (f"MATCH {E} WITH 1 AS x DROP CONSTRAINT c", "DROP"),
    "load csv": ("LOAD CSV FROM 'file:///etc/passwd' AS line RETURN line", "start with"),
    "load csv later": (f"MATCH {E} LOAD CSV FROM 'http://x/y' AS l RETURN l", "LOAD"),
    "foreach": (f"MATCH {E} FOREACH (x IN [1] | SET e.n = x)", "FOREACH"),
    "insert (gql)": (f"MATCH {E} INSERT (x:Entity)", "INSERT"),
    "periodic commit": ("USING PERIODIC COMMIT LOAD CSV FROM 'x' AS l RETURN l", "start with"),
    "in transactions": (f"MATCH {E} CALL {{ WITH e SET e.x = 1 }} IN TRANSACTIONS", "SET"),
    # procedures and functions
    "call subquery": (f"MATCH {E} CALL {{ MATCH {F} RETURN f }} RETURN f", "subqueries"),
    "apoc procedure": (f"MATCH {E} CALL apoc.create.setProperty(e, 'x', 1) YIELD node RETURN node",
                       "only reading"),  # "create" inside the name is enough
    "apoc in backquotes": ("CALL `apoc.create.node`(['X'], {}) YIELD node RETURN node", "apoc.create.node"),
    "apoc function": (f"MATCH {E} RETURN apoc.text.join([e.name], ',')", "apoc.text.join"),
    "dbms procedure": ("CALL dbms.security.createUser('x', 'y', false)", "dbms"),
    "db procedure": ("CALL db.index.fulltext.queryNodes('i', 'x') YIELD node RETURN node",
                     "db.index.fulltext.querynodes"),
    "db function": (f"MATCH {E} RETURN db.nameFromElementId(elementId(e))", "db.namefromelementid"),
    "unknown function": (f"MATCH {E} RETURN custom.fn(e)", "custom.fn"),
    "bare unknown function": (f"MATCH {E} RETURN sleep(1000)", "sleep"),
    "back-quoted function": (f"MATCH {E} RETURN `toLower`(e.name)", "tolower"),
    # statements, comments, administration
    "two statements": (f"MATCH {E} RETURN e; MATCH (n) DETACH DELETE n", "statement"),
    "two statements, second a read": (f"MATCH {E} RETURN e; MATCH (n) RETURN n", "statement"),
    "two reads": (f"MATCH {E} RETURN e; MATCH {F} RETURN f", "more than one statement"),
    "line comment": (f"MATCH {E} // harmless\nRETURN e", "comment"),
    "block comment": (f"MATCH {E} /* note */ RETURN e", "comment"),
    "comment splitting a keyword": (f"MATCH {E} DE/**/TACH DELETE e", "comment"),
    "unterminated comment": (f"MATCH {E} RETURN e /* never closed", "comment"),
    "unterminated string": (f"MATCH {E} WHERE e.name = 'x RETURN e", "quote"),
    "unterminated name": ("MATCH (e:`Entity {user_id: $user_id}) RETURN e", "quote"),
    "use database": (f"USE system MATCH {E} RETURN e", "start with"),
    "use later": (f"MATCH {E} CALL {{ USE other MATCH (n) RETURN n }} RETURN n", "USE"),
    "show": ("SHOW USERS", "start with"),
    "explain": (f"EXPLAIN MATCH {E} RETURN e", "start with"),
    "profile": (f"PROFILE MATCH {E} RETURN e", "start with"),
    "cypher options": (f"CYPHER runtime=slotted MATCH {E} RETURN e", "start with"),
    "alter": ("ALTER USER neo4j SET PASSWORD 'x'", "start with"),
    "grant": (f"MATCH {E} GRANT ROLE admin TO bob", "GRANT"),
    "terminate": (f"MATCH {E} TERMINATE TRANSACTIONS 'x'", "TERMINATE"),
    # escaping the user's data
    "unscoped node": ("MATCH (e:Entity) RETURN e.name", "user_id"),
    "unscoped variable": ("MATCH (e) RETURN e", "user_id"),
    "anonymous node": ("MATCH ()-[r:RELATED]->() RETURN r", "user_id"),
    "unscoped far end": (f"MATCH {E}-[:RELATED]->(f) RETURN f", "user_id"),
    "unscoped second match": (f"MATCH {E} MATCH (f:Entity) RETURN f", "user_id"),
    "rebound variable": (f"MATCH {E} MATCH (e)-[:RELATED]->{F} RETURN f", "user_id"),
    "where instead of map": ("MATCH (e:Entity) WHERE e.user_id = $user_id RETURN e", "user_id"),
    "another user's id": ("MATCH (e:Entity {user_id: 'bob'}) RETURN e", "user_id"),
    "id and a second key": ("MATCH (e:Entity {user_id: $user_id, user_id: 'bob'}) RETURN e", "once"),
    "expression as the id": ("MATCH (e:Entity {user_id: $user_id + 'x'}) RETURN e", "user_id"),
    "user id in a nested map": ("MATCH (e:Entity {p: {user_id: $user_id}}) RETURN e", "user_id"),
    "other parameter": ("MATCH (e:Entity {user_id: $uid}) RETURN e", "$uid"),
    "numbered parameter": ("MATCH (e:Entity {user_id: $0}) RETURN e", "$0"),
    "pattern in exists": (f"MATCH {E} WHERE exists((e)-[:RELATED]->(f)) RETURN e", "user_id"),
    "pattern in count": (f"MATCH {E} RETURN COUNT {{ (e)-[:RELATED]->() }}", "user_id"),
    "pattern comprehension": (f"MATCH {E} RETURN [(e)-[:RELATED]->(x) | x.name]", "user_id"),
    "shortest path ends": ("MATCH p = shortestPath((a)-[*]-(b)) RETURN p", "user_id"),
    "is label unscoped": ("MATCH (e IS Entity) RETURN e", "user_id"),
    "label only": ("MATCH (:Entity)-[r:RELATED]->(:Entity) RETURN r", "user_id"),
    "path selector": ("MATCH ANY SHORTEST (a)-[:RELATED]-+(b) RETURN b", "user_id"),
    "match mode": ("MATCH DIFFERENT RELATIONSHIPS (a)-[:RELATED]->(b) RETURN b", "user_id"),
    "quantified path": (f"MATCH ({E}-[:RELATED]->(x)){{1,3}} RETURN x", "user_id"),
    "chunk nodes": ("MATCH (c:Chunk) RETURN c.tokens", "user_id"),
    "in a union branch": (f"MATCH {E} RETURN e.name AS n UNION MATCH (x) RETURN x.name AS n", "user_id"),
    # malformed
    "empty": ("   ", "no query"),
    "only a semicolon": (";", "no query"),
    "unbalanced": (f"MATCH {E} RETURN count(e", "unmatched"),
    "too long": (f"MATCH {E} RETURN e.name" + " " * 4000, "longer"),
}


@pytest.mark.parametrize(("query", "reason"), UNSAFE.values(), ids=UNSAFE.keys())
def test_unsafe_queries_are_refused_with_the_reason(query, reason):
    with pytest.raises(UnsafeQueryError) as caught:
        validate_read_query(query)
    if reason is not None:
        assert reason.lower() in str(caught.value).lower()


def test_refusals_are_input_errors():
    assert issubclass(UnsafeQueryError, InputError)
    with pytest.raises(InputError):
        validate_read_query(None)  # type: ignore[arg-type]


def test_the_tokenizer_keeps_strings_names_and_parameters_apart():
    kinds = [(t.kind, t.text) for t in tokenize("MATCH (n:`my label` {x: 'a // b'}) RETURN $user_id")]
    assert ("name", "`my label`") in kinds and ("string", "'a // b'") in kinds
    assert ("param", "$user_id") in kinds and not any(k == "comment" for k, _ in kinds)
    assert [t.name for t in tokenize("`a``b`")] == ["a`b"]
