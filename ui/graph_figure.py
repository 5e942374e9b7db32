"""Draws a GraphView (agent/graph_view.py) as a Plotly figure people can read.

The layout works in pixels of a nominal plot area (``CANVAS_WIDTH`` x a height that grows with the
graph): a spring layout places the entities, then every entity's dot and name is a box that is
pushed apart from the others until no two overlap; relation names go on their edges only where
they fit. Wider plots only add room (the fonts keep their pixel size), so the boxes stay apart in
any chat at least ``CANVAS_WIDTH`` pixels wide. Dots are sized by degree and coloured by entity
type; co-occurrence edges are faint and unnamed; the Plotly toolbar is hidden (``PLOT_CONFIG``).
"""

from __future__ import annotations

import json
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
PLOT_CONFIG = {"displayModeBar": False, "scrollZoom": False, "doubleClick": False, "responsive": True}

# stored type -> (legend name, colour); types the store does not know (yet) are "OTHER"
TYPE_STYLES = {
    "organization": ("ORG", "#4c78a8"), "person": ("PERSON", "#e45756"),
    "place": ("PLACE", "#54a24b"), "product": ("PRODUCT", "#f58518"),
    "date": ("DATE", "#b279a2"), "concept": ("CONCEPT", "#72b7b2"), "other": ("OTHER", "#9d9d9d"),
}
TYPE_ALIASES = {"org": "organization", "gpe": "place", "loc": "place", "location": "place",
                "per": "person", "time": "date"}
EDGE_STRONG, EDGE_FAINT = "rgba(128,128,128,0.85)", "rgba(128,128,128,0.22)"


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
        pos[:, 0] = np.clip(pos[:, 0], half_w, width - half_w)
        pos[:, 1] = np.clip(pos[:, 1], low_y, height - 2 * half_h + low_y - 1)
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


def graph_figure(view: GraphView, title: str):
    """The figure (plotly.graph_objects.Figure) of ``view``; show it with ``PLOT_CONFIG``."""
    from plotly import graph_objects as go

    layout = layout_graph(view)
    pos = layout.nodes
    index = {node.id: i for i, node in enumerate(view.nodes)}
    traces = []
    for faint in (True, False):
        xs: list[float | None] = []
        ys: list[float | None] = []
        for e in view.edges:
            if (e.type == CO_OCCURS) == faint:
                a, b = index[e.source], index[e.target]
                xs += [pos[a, 0], pos[b, 0], None]
                ys += [pos[a, 1], pos[b, 1], None]
        if xs:
            traces.append(go.Scatter(
                x=xs, y=ys, mode="lines", hoverinfo="skip", showlegend=False,
                name="co-occurs" if faint else "relation",
                line={"width": 1 if faint else 1.6, "color": EDGE_FAINT if faint else EDGE_STRONG,
                      "dash": "dot" if faint else "solid"}))
    named = [(box, e) for box, e in zip(layout.edge_labels, view.edges, strict=True) if box is not None]
    if named:
        traces.append(go.Scatter(
            x=[b.x for b, _ in named], y=[b.y for b, _ in named], mode="text", showlegend=False,
            text=[e.type.replace("_", " ") for _, e in named], hoverinfo="skip", name="relations",
            textfont={"size": EDGE_FONT_SIZE, "color": "#8a8a8a", "family": FONT_FAMILY}))
    degree = view.degrees()
    for kind in sorted({type_style(n.type)[0] for n in view.nodes}):
        members = [i for i, n in enumerate(view.nodes) if type_style(n.type)[0] == kind]
        colour = type_style(view.nodes[members[0]].type)[1]
        traces.append(go.Scatter(
            x=pos[members, 0], y=pos[members, 1], mode="markers", name=kind,
            hovertext=[f"{view.nodes[i].name} · {kind} · {degree[view.nodes[i].id]} link(s)"
                       for i in members],
            hoverinfo="text", customdata=[view.nodes[i].name for i in members],
            marker={"size": [2 * layout.radii[i] for i in members], "color": colour, "opacity": 0.95,
                    "line": {"width": [3 if view.nodes[i].hops == 0 else 1 for i in members],
                             "color": ["#222" if view.nodes[i].hops == 0 else "#fff" for i in members]}}))
    traces.append(go.Scatter(
        x=[b.x for b in layout.labels], y=[b.y for b in layout.labels], mode="text", name="names",
        text=[shown_name(n.name) for n in view.nodes], textposition="middle center", hoverinfo="skip",
        showlegend=False, textfont={"size": FONT_SIZE, "color": "#8a8a8a", "family": FONT_FAMILY}))
    figure = go.Figure(traces)
    # transparent, mid-grey text: readable in the light and the dark theme
    figure.update_layout(
        title={"text": title, "font": {"size": 14}}, font={"color": "#8a8a8a", "family": FONT_FAMILY},
        # fixed margins: the plot area is exactly the layout's height in px (the legend must not
        # shrink it), and at least its width
        margin={"l": 10, "r": 10, "t": 40, "b": 56, "autoexpand": False},
        height=math.ceil(layout.height) + 96,
        xaxis={"visible": False, "range": [0, layout.width], "fixedrange": True},
        yaxis={"visible": False, "range": [0, layout.height], "fixedrange": True},
        legend={"orientation": "h", "y": -0.02, "yanchor": "top"}, hovermode="closest",
        plot_bgcolor="rgba(0,0,0,0)", paper_bgcolor="rgba(0,0,0,0)")
    return figure


def figure_json(figure) -> str:
    """The figure as Chainlit's Plotly element sends it, with ``PLOT_CONFIG`` (no toolbar)."""
    from plotly import io as pio

    shown = json.loads(pio.to_json(figure, validate=True))
    shown["config"] = PLOT_CONFIG
    return json.dumps(shown)
