"""The part of a user's knowledge graph around a topic, for people to look at (the UI draws it).

Seeds are the entity the topic names exactly and the known entities named in it; when it names
none, the entities mentioned in the passages retrieved for it. Around the seeds go their
neighbours (best relations first) up to ``max_nodes``, then every current relation among the
chosen entities (a pair's co-occurrence is left out where a named relation joins it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from agent.settings import DEFAULT_USER_ID
from graph.extract import CO_OCCURS

if TYPE_CHECKING:
    from agent.core import Agent
    from graph.store import GraphStore


@dataclass(frozen=True, slots=True)
class GraphNode:
    id: str
    name: str
    type: str
    hops: int  # 0 for a seed (named in the topic or found with it), 1 for its neighbours ...


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: str
    target: str
    type: str
    weight: float


@dataclass(frozen=True, slots=True)
class GraphView:
    topic: str
    nodes: tuple[GraphNode, ...] = ()
    edges: tuple[GraphEdge, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.nodes

    def degrees(self) -> dict[str, int]:
        """Each entity's number of relations in the view."""
        degree = dict.fromkeys((node.id for node in self.nodes), 0)
        for edge in self.edges:
            degree[edge.source] += 1
            degree[edge.target] += 1
        return degree


def _seeds(agent: Agent, graph: GraphStore, topic: str, user_id: str, limit: int) -> list[str]:
    matches = graph.search_entities(user_id, topic, limit=3)
    exact = [m.entity.id for m in matches if m.score >= 1.0]  # the topic is an entity's name or alias
    named = list(dict.fromkeys([*exact, *graph.find_mentions(user_id, topic)]))
    if not named:
        named = [m.entity.id for m in matches if m.score >= 0.5]
    if named:
        return named[:limit]
    found = agent.retrieve(topic, user_id=user_id, k=3).items
    if not found:
        return []
    chunk_ids = [item.chunk.id for item in found]
    by_chunk: dict[str, list[str]] = {}
    for entity_id, source_id in graph.mentions(user_id, source_ids=chunk_ids):
        by_chunk.setdefault(source_id, []).append(entity_id)
    ordered = [entity_id for chunk_id in chunk_ids for entity_id in sorted(by_chunk.get(chunk_id, ()))]
    return list(dict.fromkeys(ordered))[:limit]


def graph_around(agent: Agent, topic: str, *, user_id: str = DEFAULT_USER_ID, max_nodes: int = 30,
                 hops: int = 1) -> GraphView:
    """The entities and relations around ``topic`` in this user's graph (empty when none is known)."""
    topic = topic.strip()
    if not topic or max_nodes < 1:
        return GraphView(topic)
    graph = agent.knowledge.graph
    seeds = _seeds(agent, graph, topic, user_id, limit=max(1, max_nodes // 3))
    depth = dict.fromkeys(seeds, 0)
    for seed in seeds:
        for neighbour in graph.neighbours(user_id, seed, hops=hops, limit=max_nodes):
            if len(depth) >= max_nodes:
                break
            depth.setdefault(neighbour.entity.id, neighbour.hops)
    if not depth:
        return GraphView(topic)
    sub = graph.subgraph(user_id, depth)
    known = {entity.id for entity in sub.entities}
    nodes = tuple(GraphNode(e.id, e.name, e.type, depth.get(e.id, 0)) for e in sub.entities)
    kept = [r for r in sub.relations
            if r.source_id in known and r.target_id in known and r.source_id != r.target_id]
    # where the text names how two entities relate, their co-occurrence (from other passages) adds nothing
    named = {frozenset((r.source_id, r.target_id)) for r in kept if r.type != CO_OCCURS}
    edges = tuple(GraphEdge(r.source_id, r.target_id, r.type, r.weight) for r in kept
                  if r.type != CO_OCCURS or frozenset((r.source_id, r.target_id)) not in named)
    return GraphView(topic, nodes, edges)
