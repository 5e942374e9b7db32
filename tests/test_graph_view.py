"""The /graph view people read: a layout whose names, dots and relation names never overlap (checked
on the layout's own boxes for a 30-entity neighbourhood), colours by entity type, faint
co-occurrence, what the KnowledgeGraph element draws and calls on a click; and the entity types
and relations it shows come right from extraction."""

from __future__ import annotations

import re
from itertools import combinations
from pathlib import Path

import pytest

from agent.graph_view import GraphEdge, GraphNode, GraphView
from ui.graph_figure import (
    CANVAS_WIDTH,
    EDGE_FAINT,
    EDGE_STRONG,
    TYPE_STYLES,
    graph_props,
    layout_graph,
    text_width,
    type_style,
)

NAMES = ["星河科技", "Bluefin Robotics", "Mara Quist", "Lowhaven", "Saltmere", "Oren Falk",
         "underwater drone", "harbour inspection", "临江市", "滨湖大厦", "韩明远", "公司简介", "星眼摄像头",
         "chief technology officer", "Marlin-7 drone", "Kestrel Loom", "Port Ellery", "Calder Works",
         "forecasting software", "雾川", "听溪山居", "G2871次高铁", "Zephyr lamp", "Mira Okafor", "Lagos",
         "palm oil", "Hangzhou", "阿里巴巴", "人工智能",
         "International Business Machines Corporation of America"]
TYPES = ["organization", "organization", "person", "place", "place", "person", "concept", "concept",
         "place", "place", "person", "concept", "other", "concept", "other", "organization", "place", "place",
         "concept", "place", "place", "other", "other", "person", "place", "concept", "place", "organization",
         "concept", "organization"]


def thirty() -> GraphView:
    nodes = tuple(GraphNode(f"e{i}", name, kind, 0 if i < 2 else 1)
                  for i, (name, kind) in enumerate(zip(NAMES, TYPES, strict=True)))
    edges = [GraphEdge("e0" if i % 2 else "e1", f"e{i}", "co_occurs" if i % 3 else "works_at", 1.0)
             for i in range(2, 30)]
    edges += [GraphEdge(f"e{i}", f"e{i + 1}", "located_in", 1.0) for i in range(2, 28, 4)]
    edges.append(GraphEdge("e0", "e1", "co_occurs", 3.0))
    return GraphView("星河科技", nodes, tuple(edges))


def test_no_two_boxes_overlap_in_a_30_entity_neighbourhood():
    view = thirty()
    layout = layout_graph(view)
    boxes = layout.boxes()
    assert len(layout.labels) == 30 and len(boxes) >= 60
    clashes = [(a, b) for a, b in combinations(boxes, 2) if a.overlaps(b)]
    assert clashes == []
    assert all(box.inside(layout.width, layout.height) for box in boxes)
    assert layout.width == CANVAS_WIDTH and layout.height <= 2.5 * CANVAS_WIDTH  # not one long column
    assert sum(box is not None for box in layout.edge_labels) >= 4  # most named relations show
    assert all(box is None for box, e in zip(layout.edge_labels, view.edges, strict=True)
               if e.type == "co_occurs")
    again = layout_graph(view)
    assert (again.nodes == layout.nodes).all()  # the same picture for the same graph


def test_every_box_stays_in_the_canvas_when_nothing_clashes():
    """A long name on a lone entity at the rim: its box is kept inside, not only pushed apart."""
    nodes = (GraphNode("a", "Zephyr lamp of the northern harbour", "product", 0),
             GraphNode("b", "Mira Okafor", "person", 1), GraphNode("c", "Lagos", "place", 1),
             GraphNode("d", "1931", "date", 1))
    view = GraphView("t", nodes, (GraphEdge("b", "c", "co_occurs", 1.0), GraphEdge("b", "d", "born_in", 1.0)))
    layout = layout_graph(view)
    assert all(box.inside(layout.width, layout.height) for box in layout.boxes())
    assert not any(a.overlaps(b) for a, b in combinations(layout.boxes(), 2))


def test_boxes_follow_the_width_of_the_text():
    assert text_width("星河科技") > text_width("Xinghe") > text_width("ill")
    assert text_width("公司简介") == 4 * text_width("公")
    small = layout_graph(GraphView("t", (GraphNode("a", "Solo", "person", 0),)))
    assert len(small.labels) == 1 and small.labels[0].inside(small.width, small.height)
    assert layout_graph(GraphView("t")).labels == ()


def test_nodes_are_coloured_by_type_and_sized_by_degree_and_relations_are_named():
    view = thirty()
    props = graph_props(view, hint="Click a name", action="show_graph")
    layout = layout_graph(view)
    assert props["width"] == layout.width and props["height"] == round(layout.height, 1)
    nodes = {n["name"]: n for n in props["nodes"]}
    assert {n["type"] for n in props["nodes"]} == {"ORG", "PERSON", "PLACE", "CONCEPT", "OTHER"}
    assert nodes["星河科技"]["colour"] == TYPE_STYLES["organization"][1] == nodes["阿里巴巴"]["colour"]
    assert nodes["Mara Quist"]["colour"] == TYPE_STYLES["person"][1]
    assert nodes["Mara Quist"]["type"] == "PERSON"
    assert nodes["星河科技"]["r"] > nodes["阿里巴巴"]["r"]  # sized by degree
    assert nodes["星河科技"]["seed"] and not nodes["阿里巴巴"]["seed"]
    assert type_style("ORG") == type_style("organization") and type_style("weird")[0] == "OTHER"
    assert type_style("product")[0] == "PRODUCT" and type_style("date")[0] == "DATE"
    assert nodes["International Business Machines Corporation of America"]["label"].startswith(
        "International Business…")
    for node, box in zip(props["nodes"], layout.labels, strict=True):  # SVG y runs down
        assert node["lx"] == round(box.x, 1) and node["ly"] == round(layout.height - box.y, 1)

    faint = [e for e in props["edges"] if e["faint"]]
    named = [e for e in props["edges"] if not e["faint"]]
    assert len(faint) + len(named) == len(view.edges) and faint and named
    assert {e["relation"] for e in named} == {"works at", "located in"}
    assert not any(e["relation"] for e in faint)
    assert props["edges"].index(faint[-1]) < props["edges"].index(named[0])  # faint ones drawn underneath
    assert props["faintColour"] == EDGE_FAINT and props["edgeColour"] == EDGE_STRONG
    assert sum(e["label"] for e in named) >= 4 and all("lx" in e for e in named if e["label"])
    assert props["action"] == "show_graph" and props["hint"] == "Click a name"
    assert [item["type"] for item in props["legend"]] == sorted(item["type"] for item in props["legend"])


def test_the_element_draws_the_props_and_recentres_on_a_click():
    """The JSX reads the props graph_props gives and calls the action with the clicked name."""
    elements = Path(__file__).resolve().parents[1] / "ui" / "public" / "elements"
    jsx = (elements / "KnowledgeGraph.jsx").read_text(encoding="utf-8")
    used = set(re.findall(r"\bprops\.(\w+)", jsx)) | set(re.findall(r"\b[en]\.(\w+)", jsx))
    props = graph_props(thirty())
    known = set(props) | set(props["nodes"][0]) | {k for e in props["edges"] for k in e} | {"key"}
    assert used <= known, used - known
    assert "callAction({ name: props.action, payload: { topic: name } })" in jsx
    assert "export default function KnowledgeGraph()" in jsx


@pytest.fixture(scope="module")
def fast(tmp_path_factory):
    pytest.importorskip("jieba")
    pytest.importorskip("spacy")
    from graph.extract import create_extractor

    return create_extractor("fast", cache_dir=str(tmp_path_factory.mktemp("jieba")))


def test_extraction_types_companies_and_not_titles_as_people(fast):
    english = {e.name: e.type for e in fast.extract(
        "Bluefin Robotics builds underwater drones. The company was founded by Mara Quist in "
        "Lowhaven.").entities}
    assert english["Bluefin Robotics"] == "organization" and english["Mara Quist"] == "person"
    chinese = {e.name: e.type for e in fast.extract(
        "星河科技公司简介。星河科技成立于2015年，总部位于临江市。张伟在星河科技工作。").entities}
    assert chinese["星河科技"] == "organization"
    assert chinese["公司简介"] != "person" and chinese["张伟"] == "person"


def test_a_documents_topic_takes_its_type_from_extraction(settings):
    pytest.importorskip("jieba")
    from agent import Agent
    from agent.graph_view import graph_around
    from agent.llm.fake import FakeLLM

    settings.embedder.backend = "hash"
    with Agent(settings, llm=FakeLLM()) as agent:
        agent.ingest_text("星河科技公司简介。星河科技成立于2015年，总部位于临江市滨湖大厦。", source="xh.md",
                          title="公司简介", user_id="alice")
        agent.ingest_text("Bluefin Robotics builds underwater drones. Bluefin Robotics was founded by Mara "
                          "Quist in Lowhaven.", source="bluefin.md", title="Bluefin Robotics",
                          user_id="alice")
        chinese = graph_around(agent, "星河科技", user_id="alice")
        english = graph_around(agent, "Bluefin Robotics", user_id="alice")
    types = {n.name: n.type for n in (*chinese.nodes, *english.nodes)}
    assert types["星河科技"] == "organization" and types["公司简介"] != "person"
    assert types["Bluefin Robotics"] == "organization"  # the topic: typed by extraction
    assert types["2015年"] == "date"
    assert any(n.hops == 0 and n.name == "星河科技" for n in chinese.nodes)
    relations = set()
    for view in (chinese, english):
        names = {n.id: n.name for n in view.nodes}
        relations |= {(names[e.source], e.type, names[e.target]) for e in view.edges}
        pairs = [frozenset((e.source, e.target)) for e in view.edges]
        assert len(pairs) == len(set(pairs))  # one line per pair: a named relation hides co-occurrence
    assert {("星河科技", "founded_in", "2015年"), ("星河科技", "headquartered_in", "临江市"),
            ("Bluefin Robotics", "founded_by", "Mara Quist")} <= relations
