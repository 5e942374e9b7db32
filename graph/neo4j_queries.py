"""The Cypher text of the Neo4j graph store: constants only, every value passed as a parameter.

Model (every node and relationship carries ``user_id``; ids are unique per user):

- ``(:Entity {user_id, id, name, type, properties, topic, created_at, updated_at})``, where
  ``properties`` is a JSON object text and ``topic`` is set from ``properties["topic"]``;
- ``(:Entity)-[:RELATED {user_id, id, type, weight, base_weight, properties, valid_from, valid_to,
  created_at, updated_at}]->(:Entity)``; the relation's kind is the ``type`` property, so no
  relationship type is ever built from data;
- ``(:EntityName {user_id, entity_id, name, norm})``: names and aliases, looked up by ``norm``;
- ``(:EntitySource {user_id, entity_id, source_id})`` and
  ``(:RelationSource {user_id, relation_id, source_id, weight})``: provenance, found by source;
- ``(:Merge {user_id, seq, kept_id, merged_id, merged_name, merged_at, reason, details})``.
"""

from __future__ import annotations

SCHEMA = (
    "CREATE CONSTRAINT congming_entity_key IF NOT EXISTS "
    "FOR (e:Entity) REQUIRE (e.user_id, e.id) IS UNIQUE",
    "CREATE CONSTRAINT congming_entity_name_key IF NOT EXISTS "
    "FOR (n:EntityName) REQUIRE (n.user_id, n.entity_id, n.name) IS UNIQUE",
    "CREATE CONSTRAINT congming_entity_source_key IF NOT EXISTS "
    "FOR (s:EntitySource) REQUIRE (s.user_id, s.entity_id, s.source_id) IS UNIQUE",
    "CREATE CONSTRAINT congming_relation_source_key IF NOT EXISTS "
    "FOR (s:RelationSource) REQUIRE (s.user_id, s.relation_id, s.source_id) IS UNIQUE",
    # Composite indexes serve lookups by all of their properties, so each lookup has its own.
    "CREATE INDEX congming_entity_user IF NOT EXISTS FOR (e:Entity) ON (e.user_id)",
    "CREATE INDEX congming_entity_name_norm IF NOT EXISTS FOR (n:EntityName) ON (n.user_id, n.norm)",
    "CREATE INDEX congming_entity_name_entity IF NOT EXISTS "
    "FOR (n:EntityName) ON (n.user_id, n.entity_id)",
    "CREATE INDEX congming_entity_source_entity IF NOT EXISTS "
    "FOR (s:EntitySource) ON (s.user_id, s.entity_id)",
    "CREATE INDEX congming_relation_source_relation IF NOT EXISTS "
    "FOR (s:RelationSource) ON (s.user_id, s.relation_id)",
    "CREATE INDEX congming_entity_source_source IF NOT EXISTS "
    "FOR (s:EntitySource) ON (s.user_id, s.source_id)",
    "CREATE INDEX congming_relation_source_source IF NOT EXISTS "
    "FOR (s:RelationSource) ON (s.user_id, s.source_id)",
    "CREATE INDEX congming_related_key IF NOT EXISTS FOR ()-[r:RELATED]-() ON (r.user_id, r.id)",
    "CREATE INDEX congming_merge_merged IF NOT EXISTS FOR (m:Merge) ON (m.user_id, m.merged_id)",
    "CREATE INDEX congming_merge_user IF NOT EXISTS FOR (m:Merge) ON (m.user_id)",
)

# Where a relation is currently valid, unless $history asks for all of them.
_VALID = ("($history OR ((r.valid_from IS NULL OR r.valid_from <= $now) "
          "AND (r.valid_to IS NULL OR r.valid_to > $now)))")
_RELATION_FIELDS = ("r.id AS id, s.id AS source_id, t.id AS target_id, r.type AS type, "
                    "r.weight AS weight, r.properties AS properties, "
                    "r.valid_from AS valid_from, r.valid_to AS valid_to")

REDIRECTS = ("UNWIND $ids AS id MATCH (m:Merge {user_id: $user, merged_id: id}) "
             "RETURN m.merged_id AS merged_id, m.kept_id AS kept_id ORDER BY m.seq")

ENTITY_ROWS = (
    "UNWIND $ids AS id MATCH (e:Entity {user_id: $user, id: id}) "
    "OPTIONAL MATCH (n:EntityName {user_id: $user, entity_id: id}) "
    "WITH e, collect(n.name) AS names "
    "OPTIONAL MATCH (s:EntitySource {user_id: $user, entity_id: e.id}) "
    "RETURN e.id AS id, e.name AS name, e.type AS type, e.properties AS properties, "
    "names, collect(s.source_id) AS sources"
)
ENTITY_PROPERTIES = ("UNWIND $ids AS id MATCH (e:Entity {user_id: $user, id: id}) "
                     "RETURN e.id AS id, e.properties AS properties")
UPSERT_ENTITIES = (
    "UNWIND $rows AS row MERGE (e:Entity {user_id: $user, id: row.id}) "
    "ON CREATE SET e.created_at = $now "
    "SET e.name = row.name, e.type = row.type, "
    "e.properties = row.properties, e.topic = row.topic, e.updated_at = $now"
)
PATCH_ENTITIES = ("UNWIND $rows AS row MATCH (e:Entity {user_id: $user, id: row.id}) "
                  "SET e.properties = row.properties, e.topic = row.topic, e.updated_at = $now")
MERGE_NAMES = ("UNWIND $rows AS row MATCH (e:Entity {user_id: $user, id: row.entity_id}) "
               "MERGE (n:EntityName {user_id: $user, entity_id: e.id, name: row.name}) "
               "ON CREATE SET n.norm = row.norm")
MERGE_ENTITY_SOURCES = ("UNWIND $rows AS row MATCH (e:Entity {user_id: $user, id: row.entity_id}) "
                        "MERGE (s:EntitySource {user_id: $user, entity_id: e.id, source_id: row.source_id})")
EXISTING_ENTITY_IDS = ("UNWIND $ids AS id MATCH (e:Entity {user_id: $user, id: id}) "
                       "RETURN e.id AS id")

RELATION_STATE = (
    "UNWIND $ids AS id MATCH (s:Entity)-[r:RELATED {user_id: $user, id: id}]->(t:Entity) "
    "RETURN r.id AS id, s.id AS source_id, t.id AS target_id, r.properties AS properties, "
    "r.valid_from AS valid_from, r.valid_to AS valid_to, r.created_at AS created_at"
)
DELETE_RELATIONS = ("UNWIND $ids AS id MATCH ()-[r:RELATED {user_id: $user, id: id}]->() DELETE r")
DELETE_RELATION_SOURCES = ("UNWIND $ids AS id MATCH (s:RelationSource {user_id: $user, relation_id: id}) "
                           "DELETE s")
UPSERT_RELATIONS = (
    "UNWIND $rows AS row "
    "MATCH (s:Entity {user_id: $user, id: row.source_id}), (t:Entity {user_id: $user, id: row.target_id}) "
    "MERGE (s)-[r:RELATED {user_id: $user, id: row.id}]->(t) "
    "SET r.type = row.type, r.base_weight = row.weight, r.weight = row.weight, "
    "r.properties = row.properties, r.valid_from = row.valid_from, r.valid_to = row.valid_to, "
    "r.created_at = row.created_at, r.updated_at = $now"
)
MERGE_RELATION_SOURCES = (
    "UNWIND $rows AS row MERGE (s:RelationSource {user_id: $user, relation_id: row.relation_id, "
    "source_id: row.source_id}) SET s.weight = row.weight"
)
RECOMPUTE_WEIGHTS = (
    "UNWIND $ids AS id MATCH ()-[r:RELATED {user_id: $user, id: id}]->() "
    "OPTIONAL MATCH (s:RelationSource {user_id: $user, relation_id: id}) "
    "WITH r, sum(s.weight) AS total, count(s) AS n "
    "SET r.weight = CASE WHEN n = 0 THEN r.base_weight ELSE total END"
)
RELATIONS_BY_ID = (
    "UNWIND $ids AS id MATCH (s:Entity)-[r:RELATED {user_id: $user, id: id}]->(t:Entity) "
    "WHERE " + _VALID + " RETURN " + _RELATION_FIELDS + " ORDER BY r.id"
)
RELATION_SOURCES = ("UNWIND $ids AS id MATCH (s:RelationSource {user_id: $user, relation_id: id}) "
                    "RETURN s.relation_id AS relation_id, s.source_id AS source_id")
# One breadth-first level: relations touching the frontier, either direction.
NEIGHBOUR_EDGES = (
    "UNWIND $ids AS id MATCH (:Entity {user_id: $user, id: id})-[r:RELATED {user_id: $user}]-(:Entity) "
    "WITH DISTINCT r WHERE ($types IS NULL OR r.type IN $types) AND " + _VALID + " "
    "RETURN r.id AS id, startNode(r).id AS source_id, endNode(r).id AS target_id, r.type AS type, "
    "r.weight AS weight, r.properties AS properties, r.valid_from AS valid_from, r.valid_to AS valid_to"
)
SUBGRAPH_EDGES = (
    "UNWIND $ids AS id "
    "MATCH (s:Entity {user_id: $user, id: id})-[r:RELATED {user_id: $user}]->(t:Entity {user_id: $user}) "
    "WHERE t.id IN $ids AND " + _VALID + " RETURN " + _RELATION_FIELDS + " ORDER BY r.id"
)
NAME_QUERIES = (
    ("exact", "MATCH (n:EntityName {user_id: $user}) WHERE n.norm = $q "
              "RETURN n.entity_id AS entity_id, n.name AS name, n.norm AS norm LIMIT $n"),
    ("prefix", "MATCH (n:EntityName {user_id: $user}) WHERE n.norm STARTS WITH $q AND n.norm <> $q "
               "RETURN n.entity_id AS entity_id, n.name AS name, n.norm AS norm "
               "ORDER BY size(n.norm) LIMIT $n"),
    ("contains", "MATCH (n:EntityName {user_id: $user}) WHERE n.norm CONTAINS $q "
                 "AND NOT n.norm STARTS WITH $q "
                 "RETURN n.entity_id AS entity_id, n.name AS name, n.norm AS norm "
                 "ORDER BY size(n.norm) LIMIT $n"),
)
INVALIDATE = (
    "MATCH ()-[r:RELATED {user_id: $user, id: $id}]->() "
    "WHERE r.valid_to IS NULL OR r.valid_to > $at "
    "SET r.valid_to = $at, r.updated_at = $now RETURN count(r) AS changed"
)
FIND_RELATIONS = (
    "MATCH (s:Entity {user_id: $user})-[r:RELATED {user_id: $user}]->(t:Entity) "
    "WHERE ($types IS NULL OR r.type IN $types) AND ($sources IS NULL OR s.id IN $sources) "
    "AND ($prefix IS NULL OR r.id STARTS WITH $prefix) AND " + _VALID + " "
    "RETURN " + _RELATION_FIELDS + " ORDER BY r.id"
)

# ---- delete by source ------------------------------------------------------------------
TOUCHED_RELATIONS = ("MATCH (s:RelationSource {user_id: $user}) WHERE s.source_id IN $sources "
                     "RETURN DISTINCT s.relation_id AS id")
TOUCHED_ENTITIES = ("MATCH (s:EntitySource {user_id: $user}) WHERE s.source_id IN $sources "
                    "RETURN DISTINCT s.entity_id AS id")
DELETE_SOURCES = (
    "MATCH (s:RelationSource {user_id: $user}) WHERE s.source_id IN $sources DELETE s",
    "MATCH (s:EntitySource {user_id: $user}) WHERE s.source_id IN $sources DELETE s",
)
UNSUPPORTED_RELATIONS = (
    "UNWIND $ids AS id MATCH (s:Entity)-[r:RELATED {user_id: $user, id: id}]->(t:Entity) "
    "OPTIONAL MATCH (x:RelationSource {user_id: $user, relation_id: id}) "
    "WITH r, s, t, count(x) AS sources WHERE sources = 0 "
    "RETURN r.id AS id, s.id AS source_id, t.id AS target_id"
)
ORPHAN_ENTITIES = (
    "UNWIND $ids AS id MATCH (e:Entity {user_id: $user, id: id}) "
    "OPTIONAL MATCH (x:EntitySource {user_id: $user, entity_id: id}) "
    "WITH e, count(x) AS sources WHERE sources = 0 "
    "OPTIONAL MATCH (e)-[r:RELATED]-() WITH e, count(r) AS links WHERE links = 0 "
    "RETURN e.id AS id"
)
DELETE_ENTITIES = (
    "UNWIND $ids AS id MATCH (n:EntityName {user_id: $user, entity_id: id}) DELETE n",
    "UNWIND $ids AS id MATCH (s:EntitySource {user_id: $user, entity_id: id}) DELETE s",
    "UNWIND $ids AS id MATCH (e:Entity {user_id: $user, id: id}) DETACH DELETE e",
)

# ---- merges ----------------------------------------------------------------------------
COPY_NAMES_AND_SOURCES = (
    "MATCH (n:EntityName {user_id: $user, entity_id: $merged}) "
    "MERGE (k:EntityName {user_id: $user, entity_id: $kept, name: n.name}) ON CREATE SET k.norm = n.norm",
    "MATCH (s:EntitySource {user_id: $user, entity_id: $merged}) "
    "MERGE (:EntitySource {user_id: $user, entity_id: $kept, source_id: s.source_id})",
)
RELATIONS_BETWEEN = ("MATCH (:Entity {user_id: $user, id: $kept})-[r:RELATED {user_id: $user}]-"
                     "(:Entity {user_id: $user, id: $merged}) RETURN DISTINCT r.id AS id")
RELATIONS_OF = ("MATCH (:Entity {user_id: $user, id: $merged})-[r:RELATED {user_id: $user}]-() "
                "RETURN DISTINCT r.id AS id")
# Relationships cannot change their ends: copy each one onto the kept entity, then delete it.
REPOINT_OUTGOING = (
    "MATCH (m:Entity {user_id: $user, id: $merged})-[r:RELATED {user_id: $user}]->(t:Entity), "
    "(k:Entity {user_id: $user, id: $kept}) "
    "CREATE (k)-[c:RELATED]->(t) SET c = properties(r), c.updated_at = $now DELETE r"
)
REPOINT_INCOMING = (
    "MATCH (s:Entity)-[r:RELATED {user_id: $user}]->(m:Entity {user_id: $user, id: $merged}), "
    "(k:Entity {user_id: $user, id: $kept}) "
    "CREATE (s)-[c:RELATED]->(k) SET c = properties(r), c.updated_at = $now DELETE r"
)
DUPLICATE_OF = (
    "MATCH (s:Entity)-[r:RELATED {user_id: $user, id: $id}]->(t:Entity) WHERE r.valid_to IS NULL "
    "MATCH (s)-[d:RELATED {user_id: $user}]->(t) "
    "WHERE d.type = r.type AND d.id <> r.id AND d.valid_to IS NULL "
    "RETURN d.id AS into, d.properties AS into_properties, r.properties AS dup_properties, "
    "r.base_weight AS dup_base_weight ORDER BY d.created_at, d.id LIMIT 1"
)
FOLD_SOURCES = (
    "MATCH (s:RelationSource {user_id: $user, relation_id: $dup}) "
    "MERGE (i:RelationSource {user_id: $user, relation_id: $into, source_id: s.source_id}) "
    "ON CREATE SET i.weight = s.weight ON MATCH SET i.weight = i.weight + s.weight"
)
FOLD_RELATION = ("MATCH ()-[r:RELATED {user_id: $user, id: $into}]->() "
                 "SET r.base_weight = r.base_weight + $dup_base_weight, r.properties = $properties")
SET_ENTITY_PROPERTIES = ("MATCH (e:Entity {user_id: $user, id: $id}) "
                         "SET e.properties = $properties, e.topic = $topic, e.updated_at = $now")
NEXT_MERGE_SEQ = "MATCH (m:Merge {user_id: $user}) RETURN coalesce(max(m.seq), 0) + 1 AS seq"
REDIRECT_MERGES = "MATCH (m:Merge {user_id: $user, kept_id: $merged}) SET m.kept_id = $kept"
RECORD_MERGE = (
    "CREATE (:Merge {user_id: $user, seq: $seq, kept_id: $kept, merged_id: $merged, "
    "merged_name: $name, merged_at: $now, reason: $reason, details: $details})"
)
LIST_MERGES = ("MATCH (m:Merge {user_id: $user}) RETURN m.kept_id AS kept_id, m.merged_id AS merged_id, "
               "m.merged_name AS merged_name, m.merged_at AS merged_at, m.reason AS reason, "
               "m.details AS details ORDER BY m.seq")

# ---- stats and mentions ----------------------------------------------------------------
ENTITY_TYPES = ("MATCH (e:Entity {user_id: $user}) RETURN e.type AS type, count(e) AS n ORDER BY type")
RELATION_TYPES = (
    "MATCH (:Entity {user_id: $user})-[r:RELATED {user_id: $user}]->() "
    "RETURN r.type AS type, count(r) AS n, "
    "sum(CASE WHEN " + _VALID + " THEN 1 ELSE 0 END) AS valid ORDER BY type"
)
MERGE_COUNT = "MATCH (m:Merge {user_id: $user}) RETURN count(m) AS n"
FIND_NAMES = ("MATCH (n:EntityName {user_id: $user}) WHERE n.norm IN $candidates "
              "RETURN n.entity_id AS entity_id, n.name AS name ORDER BY size(n.name) DESC, n.name")
ADD_MENTIONS = ("UNWIND $rows AS row MATCH (e:Entity {user_id: $user, id: row.entity_id}) "
                "MERGE (:EntitySource {user_id: $user, entity_id: e.id, source_id: row.source_id})")
MENTIONS_OF_ENTITIES = (
    "MATCH (s:EntitySource {user_id: $user}) WHERE s.entity_id IN $ids "
    "MATCH (e:Entity {user_id: $user, id: s.entity_id}) WHERE NOT $topics_only OR e.topic = true "
    "RETURN s.entity_id AS entity_id, s.source_id AS source_id"
)
# Mentions of the entities with at most $max of them: each entity's mentions are counted in the
# index and the frequent ones left out on the server, not sent over and dropped by the caller.
MENTIONS_OF_SMALL_ENTITIES = (
    "UNWIND $ids AS id MATCH (e:Entity {user_id: $user, id: id}) "
    "WHERE (NOT $topics_only OR e.topic = true) "
    "AND COUNT { MATCH (x:EntitySource {user_id: $user, entity_id: id}) } <= $max "
    "MATCH (s:EntitySource {user_id: $user, entity_id: id}) "
    "RETURN s.entity_id AS entity_id, s.source_id AS source_id"
)
MENTIONS_IN_SOURCES = (
    "MATCH (s:EntitySource {user_id: $user}) WHERE s.source_id IN $ids "
    "MATCH (e:Entity {user_id: $user, id: s.entity_id}) WHERE NOT $topics_only OR e.topic = true "
    "RETURN s.entity_id AS entity_id, s.source_id AS source_id"
)
