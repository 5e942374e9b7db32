"""Draws a GraphView (agent/graph_view.py) as a Plotly figure: entities as labelled dots (the
topic's own entities larger), relations as lines named at their middle."""

from __future__ import annotations

import math

import numpy as np

from agent.graph_view import GraphView

PALETTE = ("#4c78a8", "#f58518", "#54a24b", "#e45756", "#72b7b2", "#b279a2", "#eeca3b", "#9d755d")


def spring_layout(count: int, edges: list[tuple[int, int]], *, iterations: int = 120,
                  seed: int = 7) -> np.ndarray:
    """Fruchterman-Reingold positions in [-1, 1]^2, the same for the same graph."""
    if count == 0:
        return np.zeros((0, 2))
    if count == 1:
        return np.zeros((1, 2))
    angles = np.linspace(0, 2 * math.pi, count, endpoint=False)
    jitter = np.random.default_rng(seed).normal(scale=0.05, size=(count, 2))
    pos = np.stack([np.cos(angles), np.sin(angles)], axis=1) + jitter
    k = math.sqrt(4.0 / count)
    temperature = 0.2
    for _ in range(iterations):
        delta = pos[:, None, :] - pos[None, :, :]
        distance = np.maximum(np.linalg.norm(delta, axis=2), 1e-3)
        force = (delta / distance[..., None]) * (k * k / distance)[..., None]
        move = force.sum(axis=1)
        for a, b in edges:
            d = pos[a] - pos[b]
            length = max(float(np.linalg.norm(d)), 1e-3)
            pull = d / length * (length * length / k)
            move[a] -= pull
            move[b] += pull
        length = np.maximum(np.linalg.norm(move, axis=1), 1e-9)
        pos += move / length[:, None] * np.minimum(length, temperature)[:, None]
        temperature = max(temperature * 0.97, 0.01)
    pos -= pos.mean(axis=0)
    scale = np.abs(pos).max()
    return pos / scale if scale > 0 else pos


def graph_figure(view: GraphView, title: str):
    """The figure (plotly.graph_objects.Figure) of ``view``."""
    from plotly import graph_objects as go

    index = {node.id: i for i, node in enumerate(view.nodes)}
    pairs = [(index[e.source], index[e.target]) for e in view.edges]
    pos = spring_layout(len(view.nodes), pairs)
    edge_x: list[float | None] = []
    edge_y: list[float | None] = []
    for a, b in pairs:
        edge_x += [pos[a, 0], pos[b, 0], None]
        edge_y += [pos[a, 1], pos[b, 1], None]
    traces = [go.Scatter(x=edge_x, y=edge_y, mode="lines", hoverinfo="skip",
                         line={"width": 1, "color": "#999"}, showlegend=False)]
    traces.append(go.Scatter(
        x=[(pos[a, 0] + pos[b, 0]) / 2 for a, b in pairs], y=[(pos[a, 1] + pos[b, 1]) / 2 for a, b in pairs],
        mode="text", text=[e.type.replace("_", " ") for e in view.edges], hoverinfo="skip",
        textfont={"size": 9, "color": "#777"}, showlegend=False))
    types = sorted({node.type for node in view.nodes})
    for t, kind in enumerate(types):
        members = [i for i, node in enumerate(view.nodes) if node.type == kind]
        traces.append(go.Scatter(
            x=pos[members, 0], y=pos[members, 1], mode="markers+text", name=kind,
            text=[view.nodes[i].name for i in members], textposition="top center",
            hovertext=[f"{view.nodes[i].name} ({kind})" for i in members], hoverinfo="text",
            marker={"size": [22 if view.nodes[i].hops == 0 else 13 for i in members],
                    "color": PALETTE[t % len(PALETTE)], "line": {"width": 1, "color": "#fff"}}))
    figure = go.Figure(traces)
    # transparent, mid-grey text: readable in the light and the dark theme
    figure.update_layout(title={"text": title, "font": {"size": 14}}, font={"color": "#8a8a8a"},
                         margin={"l": 10, "r": 10, "t": 40, "b": 10}, height=460,
                         xaxis={"visible": False, "range": [-1.25, 1.25]},
                         yaxis={"visible": False, "range": [-1.2, 1.25]},
                         legend={"orientation": "h"}, plot_bgcolor="rgba(0,0,0,0)",
                         paper_bgcolor="rgba(0,0,0,0)")
    return figure
