"""Lays out a GraphView (agent/graph_view.py) so people can read it, for the ``KnowledgeGraph``
element (ui/public/elements/KnowledgeGraph.jsx), which draws it as SVG and recentres the view on
an entity when its name is clicked.

The layout works in pixels of a nominal canvas (``CANVAS_WIDTH`` x a height that grows with the
graph): a spring layout places the entities, then every entity's dot and name is a box that is
pushed apart from the others until no two overlap; relation names go on their edges only where
they fit. The SVG scales as a whole (fonts with it), so the boxes stay apart at any width. Dots
are sized by degree and coloured by entity type; co-occurrence edges are faint and unnamed.
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass

import numpy as np

from agent.graph_view import GraphView

CANVAS_WIDTH = 520.0  # px: the narrowest plot this layout is made for (a chat beside a side panel)
MIN_HEIGHT, MAX_HEIGHT = 380.0, 1400.0
FONT_SIZE, EDGE_FONT_SIZE = 12, 10
FONT_FAMILY = '"Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", "Microsoft YaHei", sans-serif'
GAP = 3.0  # px kept between boxes
CO_OCCURS = "co_occurs"

# stored type -> (legend name, colour); types the store does not know (yet) are "OTHER"
TYPE_STYLES = {
    "organization": ("ORG", "#4c78a8"), "person": ("PERSON", "#e45756"),
    "place": ("PLACE", "#54a24b"), "product": ("PRODUCT", "#f58518"),
    "date": ("DATE", "#b279a2"), "concept": ("CONCEPT", "#72b7b2"), "other": ("OTHER", "#9d9d9d"),
}
TYPE_ALIASES = {"org": "organization", "gpe": "place", "loc": "place", "location": "place",
                "per": "person", "time": "date"}
EDGE_STRONG, EDGE_FAINT = "rgba(128,128,128,0.85)", "rgba(128,128,128,0.22)"
TEXT_COLOUR = "#8a8a8a"  # mid-grey: readable on the light and the dark theme


def type_style(entity_type: str) -> tuple[str, str]:
    """(legend name, colour) of a stored entity type."""
    key = entity_type.casefold()
    return TYPE_STYLES.get(TYPE_ALIASES.get(key, key), TYPE_STYLES["other"])


def text_width(text: str, size: float = FONT_SIZE) -> float:
    """An upper estimate of ``text``'s width in px: CJK and other wide characters take a full em,
    capitals and digits about 0.7 em, narrow letters less."""
    width = 0.0
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            width += 1.0
        elif ch in "ilj.,:;'|!()[] ":
            width += 0.36
        elif ch in "mwMW@%":
            width += 0.95
        elif ch.isupper() or ch.isdigit():
            width += 0.72
        else:
            width += 0.62
    return width * size


@dataclass(frozen=True, slots=True)
class Box:
    """An axis-aligned box by its centre and size, in px (y up)."""
    x: float
    y: float
    w: float
    h: float

    def overlaps(self, other: Box, gap: float = 0.0) -> bool:
        return (abs(self.x - other.x) * 2 < self.w + other.w + 2 * gap
                and abs(self.y - other.y) * 2 < self.h + other.h + 2 * gap)

    def inside(self, width: float, height: float) -> bool:
        return (self.x - self.w / 2 >= 0 and self.x + self.w / 2 <= width
                and self.y - self.h / 2 >= 0 and self.y + self.h / 2 <= height)


@dataclass(frozen=True, slots=True)
class GraphLayout:
    width: float
    height: float
    nodes: np.ndarray  # (n, 2) dot centres, px
    radii: tuple[float, ...]  # dot radii, px
    labels: tuple[Box, ...]  # one per node, its name's box
    edge_labels: tuple[Box | None, ...]  # one per edge; None: unnamed (co-occurrence) or no room

    def boxes(self) -> list[Box]:
        """Every box drawn: names, dots, relation names."""
        return [*self.labels, *_dot_boxes(self.nodes, self.radii),
                *(b for b in self.edge_labels if b is not None)]


def _dot_boxes(pos: np.ndarray, radii) -> list[Box]:
    return [Box(float(x), float(y), 2 * r, 2 * r) for (x, y), r in zip(pos, radii, strict=True)]


def spring_layout(count: int, edges: list[tuple[int, int]], *, iterations: int = 200,
                  seed: int = 7) -> np.ndarray:
    """Fruchterman-Reingold positions in [-1, 1]^2 with a weak pull to the centre (so parts that
    are not connected stay near), the same for the same graph."""
    if count <= 1:
        return np.zeros((count, 2))
    angles = np.linspace(0, 2 * math.pi, count, endpoint=False)
    jitter = np.random.default_rng(seed).normal(scale=0.05, size=(count, 2))
    pos = np.stack([np.cos(angles), np.sin(angles)], axis=1) + jitter
    k = math.sqrt(4.0 / count)
    temperature = 0.2
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        move = ((delta / distance[..., None]) * (k * k / distance)[..., None]).sum(axis=1)
        for a, b in edges:
            d = pos[a] - pos[b]
            length = max(float(np.linalg.norm(d)), 1e-3)
            pull = d / length * (length * length / k)
            move[a] -= pull
            move[b] += pull
        move -= pos * (0.3 * k * np.linalg.norm(pos, axis=1, keepdims=True))  # gravity
        length = np.maximum(np.linalg.norm(move, axis=1), 1e-9)
        pos += move / length[:, None] * np.minimum(length, temperature)[:, None]
        temperature = max(temperature * 0.97, 0.01)
    pos -= pos.mean(axis=0)
    scale = np.abs(pos).max()
    return pos / scale if scale > 0 else pos


def _separate(pos: np.ndarray, radii: list[float], label_w: list[float], label_h: float,
              width: float, height: float, rounds: int = 400) -> bool:
    """Push the dot-and-name boxes apart (along the axis they overlap least) and keep them in
    the canvas; True once no two overlap."""
    n = len(pos)
    half_w = np.array([max(w, 2 * r) / 2 for w, r in zip(label_w, radii, strict=True)])
    half_h = np.array([r + label_h / 2 for r in radii])
    low_y = np.array(radii)  # the dot's bottom stays in the canvas
    for _ in range(rounds):
        pos[:, 0] = np.clip(pos[:, 0], half_w, width - half_w)  # whole boxes in the canvas
        pos[:, 1] = np.clip(pos[:, 1], low_y, height - 2 * half_h + low_y - 1)
        centre = np.stack([pos[:, 0], pos[:, 1] + label_h / 2], axis=1)
        dx = centre[None, :, 0] - centre[:, None, 0]
        dy = centre[None, :, 1] - centre[:, None, 1]
        over_x = half_w[:, None] + half_w[None, :] + GAP - np.abs(dx)
        over_y = half_h[:, None] + half_h[None, :] + GAP - np.abs(dy)
        clash = (over_x > 0) & (over_y > 0) & ~np.eye(n, dtype=bool)
        if not clash.any():
            return True
        push = np.zeros_like(pos)
        order = np.sign(np.arange(n)[None, :] - np.arange(n)[:, None])  # ties: apart by index
        sign_x = np.where(dx == 0, order, np.sign(dx))
        sign_y = np.where(dy == 0, order, np.sign(dy))
        along_x = clash & (over_x <= over_y)
        along_y = clash & ~along_x
        # half the overlap each, and a pixel more so that a nearly-touching pair ends apart
        push[:, 0] -= (np.where(along_x, over_x + 1, 0) * sign_x).sum(axis=1) * 0.5
        push[:, 1] -= (np.where(along_y, over_y + 1, 0) * sign_y).sum(axis=1) * 0.5
        pos += push * 0.6
    return False


def _edge_label_boxes(pos: np.ndarray, pairs: list[tuple[int, int]], names: list[str],
                      taken: list[Box], width: float, height: float) -> list[Box | None]:
    """A box for each named edge's relation, somewhere along the edge where it clashes with
    nothing drawn; None where there is no such place (the name is still in the hover text)."""
    out: list[Box | None] = []
    taken = list(taken)
    for (a, b), name in zip(pairs, names, strict=True):
        placed = None
        if name:
            w, h = text_width(name, EDGE_FONT_SIZE) + 2, EDGE_FONT_SIZE * 1.3
            for t in (0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8):
                x, y = pos[a] + (pos[b] - pos[a]) * t
                box = Box(float(x), float(y), w, h)
                if box.inside(width, height) and not any(box.overlaps(o, GAP / 2) for o in taken):
                    placed = box
                    break
        if placed is not None:
            taken.append(placed)
        out.append(placed)
    return out


def shown_name(name: str, max_px: float = 170.0) -> str:
    """The name as drawn: cut with "…" past ``max_px`` (the hover text has it whole)."""
    if text_width(name) <= max_px:
        return name
    while name and text_width(name + "…") > max_px:
        name = name[:-1]
    return name.rstrip() + "…"


def node_radius(degree: int) -> float:
    return min(6.0 + 2.5 * math.sqrt(degree), 18.0)


def layout_graph(view: GraphView, *, width: float = CANVAS_WIDTH) -> GraphLayout:
    """Positions (px) of every dot, name and relation name of ``view``, none overlapping."""
    index = {node.id: i for i, node in enumerate(view.nodes)}
    pairs = [(index[e.source], index[e.target]) for e in view.edges]
    degree = view.degrees()
    radii = [node_radius(degree[n.id]) for n in view.nodes]
    label_h = FONT_SIZE * 1.3
    label_w = [text_width(shown_name(n.name)) + 4 for n in view.nodes]
    unit = spring_layout(len(view.nodes), pairs)
    needed = sum((max(w, 2 * r) + GAP) * (2 * r + label_h + GAP) for w, r in zip(label_w, radii, strict=True))
    height = min(max(MIN_HEIGHT, needed * 2.2 / width), MAX_HEIGHT)
    while True:
        margin_x, margin_y = float(np.median(label_w)) / 2 + 2 if label_w else 0.0, label_h + 20
        pos = np.stack([(unit[:, 0] + 1) / 2 * (width - 2 * margin_x) + margin_x,
                        (unit[:, 1] + 1) / 2 * (height - 2 * margin_y) + margin_y], axis=1) \
            if len(unit) else np.zeros((0, 2))
        if _separate(pos, radii, label_w, label_h, width, height) or height >= MAX_HEIGHT * 4:
            break
        height *= 1.2  # no room: a taller plot
    labels = tuple(Box(float(x), float(y) + r + label_h / 2 + 1, w, label_h)
                   for (x, y), r, w in zip(pos, radii, label_w, strict=True))
    dots = _dot_boxes(pos, radii)
    names = ["" if e.type == CO_OCCURS else e.type.replace("_", " ") for e in view.edges]
    edge_labels = _edge_label_boxes(pos, pairs, names, [*labels, *dots], width, height)
    return GraphLayout(width, height, pos, tuple(radii), labels, tuple(edge_labels))


def _short_of(x1: float, y1: float, x2: float, y2: float, by: float) -> tuple[float, float]:
    """The point ``by`` px before (x2, y2) on the way from (x1, y1)."""
    length = math.hypot(x2 - x1, y2 - y1)
    if length <= by:
        return x2, y2
    return round(x2 - (x2 - x1) * by / length, 1), round(y2 - (y2 - y1) * by / length, 1)


def graph_props(view: GraphView, *, hint: str = "", action: str = "show_graph") -> dict:
    """What the ``KnowledgeGraph`` element (ui/public/elements/KnowledgeGraph.jsx) draws as SVG:
    every dot, name and relation of ``view`` in px of a ``width`` x ``height`` canvas (y down, as in
    SVG), their colours, and the action a click on a name calls with ``{"topic": name}``."""
    layout = layout_graph(view)
    height = layout.height
    index = {node.id: i for i, node in enumerate(view.nodes)}
    degree = view.degrees()

    def point(x: float, y: float) -> tuple[float, float]:
        return round(float(x), 1), round(height - float(y), 1)

    nodes = []
    for i, node in enumerate(view.nodes):
        kind, colour = type_style(node.type)
        (x, y), (lx, ly) = point(*layout.nodes[i]), point(layout.labels[i].x, layout.labels[i].y)
        nodes.append({"name": node.name, "label": shown_name(node.name), "type": kind, "colour": colour,
                      "x": x, "y": y, "r": round(layout.radii[i], 1), "lx": lx, "ly": ly,
                      "lw": round(layout.labels[i].w, 1), "lh": round(layout.labels[i].h, 1),
                      "seed": node.hops == 0, "links": degree[node.id]})
    edges = []
    for edge, box in zip(view.edges, layout.edge_labels, strict=True):
        a, b = index[edge.source], index[edge.target]
        (x1, y1), (x2, y2) = point(*layout.nodes[a]), point(*layout.nodes[b])
        named = edge.type != CO_OCCURS
        if named:  # a named relation ends in an arrow at the rim of its object's dot
            x2, y2 = _short_of(x1, y1, x2, y2, layout.radii[b] + 1.5)
        drawn = {"x1": x1, "y1": y1, "x2": x2, "y2": y2, "faint": not named,
                 "relation": edge.type.replace("_", " ") if named else "", "label": box is not None}
        if box is not None:
            drawn["lx"], drawn["ly"] = point(box.x, box.y)
        edges.append(drawn)
    edges.sort(key=lambda e: not e["faint"])  # faint ones underneath
    legend = sorted({(n["type"], n["colour"]) for n in nodes})
    return {"width": layout.width, "height": round(height, 1), "nodes": nodes, "edges": edges,
            "legend": [{"type": kind, "colour": colour} for kind, colour in legend],
            "fontSize": FONT_SIZE, "edgeFontSize": EDGE_FONT_SIZE, "fontFamily": FONT_FAMILY,
            "edgeColour": EDGE_STRONG, "faintColour": EDGE_FAINT, "textColour": TEXT_COLOUR,
            "hint": hint, "action": action}
