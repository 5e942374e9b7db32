import { useState } from 'react';

// The knowledge graph around a topic, drawn as SVG from the layout ui/graph_figure.py computed
// (graph_props): positions in px, y down. A click (or Enter) on an entity calls the server's
// `props.action` with {topic: name}, which shows the graph recentred on it.
export default function KnowledgeGraph() {
  const [chosen, setChosen] = useState(null);
  const font = { fontFamily: props.fontFamily };
  // a rim of the page's background round a relation's name keeps it readable over its line
  const halo = { ...font, paintOrder: 'stroke', stroke: 'hsl(var(--background))', strokeWidth: 3,
                 strokeLinejoin: 'round' };

  const recentre = (name) => {
    if (chosen) return;
    setChosen(name);
    Promise.resolve(callAction({ name: props.action, payload: { topic: name } }))
      .finally(() => setChosen(null));
  };

  return (
    <div data-testid="knowledge-graph" style={{ display: 'flex', flexDirection: 'column', gap: '8px', width: '100%' }}>
      <svg viewBox={`0 0 ${props.width} ${props.height}`} role="img"
           style={{ width: '100%', maxWidth: `${Math.round(props.width * 1.6)}px`, height: 'auto' }}>
        <defs>
          <marker id="graph-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7"
                  orient="auto-start-reverse">
            <path d="M 0 0 L 10 5 L 0 10 z" fill={props.edgeColour} />
          </marker>
        </defs>
        {props.edges.map((e, i) => (
          <line key={`e${i}`} x1={e.x1} y1={e.y1} x2={e.x2} y2={e.y2}
                stroke={e.faint ? props.faintColour : props.edgeColour}
                strokeWidth={e.faint ? 1 : 1.6} strokeDasharray={e.faint ? '2 3' : undefined}
                markerEnd={e.faint ? undefined : 'url(#graph-arrow)'}>
            {e.relation ? <title>{e.relation}</title> : null}
          </line>
        ))}
        {props.edges.filter((e) => e.label).map((e, i) => (
          <text key={`r${i}`} className="graph-relation" x={e.lx} y={e.ly} textAnchor="middle"
                dominantBaseline="central" fontSize={props.edgeFontSize} fill={props.textColour}
                style={halo}>{e.relation}</text>
        ))}
        {props.nodes.map((n) => (
          <g key={n.name} className="graph-node" data-name={n.name} role="button" tabIndex={0}
             aria-label={n.name} style={{ cursor: chosen ? 'progress' : 'pointer', outline: 'none' }}
             onClick={() => recentre(n.name)}
             onKeyDown={(event) => { if (event.key === 'Enter') recentre(n.name); }}>
            <title>{`${n.name} · ${n.type} · ${n.links} link(s)`}</title>
            <circle cx={n.x} cy={n.y} r={n.r} fill={n.colour} fillOpacity={0.95}
                    stroke={n.seed || chosen === n.name ? 'currentColor' : '#fff'}
                    strokeWidth={n.seed || chosen === n.name ? 3 : 1} />
            <rect x={n.lx - n.lw / 2} y={n.ly - n.lh / 2} width={n.lw} height={n.lh} fill="transparent" />
            <text className="graph-name" x={n.lx} y={n.ly} textAnchor="middle" dominantBaseline="central"
                  fontSize={props.fontSize} fill={props.textColour}
                  fontWeight={chosen === n.name ? 'bold' : 'normal'} style={font}>{n.label}</text>
          </g>
        ))}
      </svg>
      <div style={{ display: 'flex', flexWrap: 'wrap', alignItems: 'center', columnGap: '16px', rowGap: '4px',
                    fontSize: '12px', color: props.textColour }}>
        {props.legend.map((item) => (
          <span key={item.type} style={{ display: 'inline-flex', alignItems: 'center', gap: '5px' }}>
            <svg width="10" height="10" viewBox="0 0 10 10"><circle cx="5" cy="5" r="5" fill={item.colour} /></svg>
            {item.type}
          </span>
        ))}
        {props.hint ? <span style={{ fontStyle: 'italic' }}>{props.hint}</span> : null}
      </div>
    </div>
  );
}
