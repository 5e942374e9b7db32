"""The /graph view people read: a layout whose names, dots and relation names never overlap (checked
on the layout's own boxes for a 30-entity neighbourhood), colours by entity type, faint
co-occurrence, no toolbar; and the entity types it colours by come right from extraction."""

from __future__ import annotations

import json
from itertools import combinations

import pytest

from agent.graph_view import GraphEdge, GraphNode, GraphView
from ui.graph_figure import (
    CANVAS_WIDTH,
    EDGE_FAINT,
    EDGE_STRONG,
    TYPE_STYLES,
    figure_json,
    graph_figure,
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


def test_boxes_follow_the_width_of_the_text():
    assert text_width("星河科技") > text_width("Xinghe") > text_width("ill")
    assert text_width("公司简介") == 4 * text_width("公")
    small = layout_graph(GraphView("t", (GraphNode("a", "Solo", "person", 0),)))
    assert len(small.labels) == 1 and small.labels[0].inside(small.width, small.height)
    assert layout_graph(GraphView("t")).labels == ()


def test_nodes_are_coloured_by_type_and_sized_by_degree_and_relations_are_named():
    view = thirty()
    figure = graph_figure(view, "Knowledge graph around “星河科技”")
    dots = {trace.name: trace for trace in figure.data if trace.mode == "markers"}
    assert set(dots) == {"ORG", "PERSON", "PLACE", "CONCEPT", "OTHER"}
    assert dots["ORG"].marker.color == TYPE_STYLES["organization"][1]
    assert dots["PERSON"].marker.color == TYPE_STYLES["person"][1]
    orgs = {name for name, kind in zip(NAMES, TYPES, strict=True) if kind == "organization"}
    assert set(dots["ORG"].customdata) == orgs and "星河科技" not in dots["PERSON"].customdata
    hub = list(dots["ORG"].customdata).index("星河科技")
    leaf = list(dots["ORG"].customdata).index("阿里巴巴")
    assert dots["ORG"].marker.size[hub] > dots["ORG"].marker.size[leaf]
    assert type_style("ORG") == type_style("organization") and type_style("weird")[0] == "OTHER"
    assert type_style("product")[0] == "PRODUCT" and type_style("date")[0] == "DATE"

    lines = {trace.line.color: trace for trace in figure.data if trace.mode == "lines"}
    assert set(lines) == {EDGE_FAINT, EDGE_STRONG}
    assert lines[EDGE_FAINT].line.width < lines[EDGE_STRONG].line.width
    named = [t for t in figure.data if t.mode == "text" and t.name == "relations"]
    assert named and set(named[0].text) <= {"works at", "located in"}  # never "co occurs"
    names = next(t for t in figure.data if t.name == "names")
    assert "星河科技" in names.text and "International Business…" in "".join(names.text)


def test_the_toolbar_is_hidden_and_the_plot_area_keeps_its_size():
    figure = graph_figure(thirty(), "t")
    shown = json.loads(figure_json(figure))
    assert shown["config"]["displayModeBar"] is False
    assert shown["layout"]["xaxis"]["fixedrange"] and shown["layout"]["margin"]["autoexpand"] is False
    plot_height = shown["layout"]["height"] - shown["layout"]["margin"]["t"] - shown["layout"]["margin"]["b"]
    assert plot_height >= shown["layout"]["yaxis"]["range"][1]  # >= 1 px per layout px


def test_recentre_offers_the_neighbours_best_connected_first():
    view = thirty()
    names = view.recentre_names(limit=5)
    assert len(names) == 5 and "星河科技" not in names and "Bluefin Robotics" not in names
    degree = view.degrees()
    by_name = {n.name: degree[n.id] for n in view.nodes}
    assert [by_name[n] for n in names] == sorted((by_name[n] for n in names), reverse=True)


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
    assert any(n.hops == 0 and n.name == "星河科技" for n in chinese.nodes)
